// DCI aggregation against the exact importance-matrix oracles of METRICS.md §15 (disentanglement_lib
// dci_test.py), and the Lasso-importance pipeline on synthetic codes: identity ~1, a 45° rotation ~0,
// duplicated codes D high (Lasso keeps one copy, so C stays 1).
#include "metrics/disentanglement/dci.h"

#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

#include "core/error.h"
#include "metrics/disentanglement/lasso.h"
#include "support/disentanglement_data.h"

namespace latentlab::metrics {
namespace {

using Matrix = std::vector<std::vector<double>>;
using testing::identity_rows;
using testing::random_factors;

Matrix vstack(const Matrix& a, const Matrix& b) {
  Matrix m = a;
  m.insert(m.end(), b.begin(), b.end());
  return m;
}
Matrix hstack(const Matrix& a, const Matrix& b) {
  Matrix m = a;
  for (size_t i = 0; i < m.size(); ++i) m[i].insert(m[i].end(), b[i].begin(), b[i].end());
  return m;
}

const double kHalf = 1.0 - std::log(2.0) / std::log(10.0);  // 0.6989700043360189

TEST(Dci, DisentanglementOracles) {
  EXPECT_NEAR(dci_disentanglement(identity_rows(5)), 1.0, 1e-9);
  EXPECT_NEAR(dci_disentanglement({{1, 0}, {0, 1}, {0, 0}}), 1.0, 1e-9);
  EXPECT_NEAR(dci_disentanglement(Matrix(10, std::vector<double>(10, 0.0))), 0.0, 1e-9);
  EXPECT_NEAR(dci_disentanglement(vstack(identity_rows(5), identity_rows(5))), 1.0, 1e-9);
  const Matrix d5 = identity_rows(5);
  EXPECT_NEAR(dci_disentanglement(Matrix(d5.begin(), d5.begin() + 2)), 1.0, 1e-9);
  EXPECT_NEAR(dci_disentanglement(hstack(identity_rows(5), identity_rows(5))), kHalf, 1e-9);
}

TEST(Dci, CompletenessOracles) {
  EXPECT_NEAR(dci_completeness(identity_rows(5)), 1.0, 1e-9);
  EXPECT_NEAR(dci_completeness({{1, 0}, {0, 1}, {0, 0}}), 1.0, 1e-9);  // an empty code
  const Matrix d5 = identity_rows(5);
  EXPECT_NEAR(dci_completeness(Matrix(d5.begin(), d5.begin() + 2)), 1.0, 1e-9);  // missed factors
  EXPECT_NEAR(dci_completeness(Matrix(10, std::vector<double>(10, 0.0))), 0.0, 1e-7);
  EXPECT_NEAR(dci_completeness(vstack(identity_rows(5), identity_rows(5))), kHalf, 1e-9);
  EXPECT_NEAR(dci_completeness(hstack(identity_rows(5), identity_rows(5))), 1.0, 1e-9);
}

TEST(Dci, LassoMatchesClosedFormOnOrthogonalDesign) {
  // Orthogonal centred columns with |x_j|^2 = N: w_j = soft(x_j.y / N, alpha).
  const auto x = at::tensor({1.0, 1.0, -1.0, 1.0, 1.0, -1.0, -1.0, -1.0}, at::kDouble).view({4, 2});
  const std::vector<double> y{3.0, 1.0, 0.5, -0.5};
  const auto fit = fit_lasso(x, y, 0.1);
  ASSERT_TRUE(fit.converged);
  double c0 = 0, c1 = 0;
  for (int i = 0; i < 4; ++i) {
    c0 += x[i][0].item<double>() * y[i] / 4;
    c1 += x[i][1].item<double>() * y[i] / 4;
  }
  auto soft = [](double v, double a) { return std::copysign(std::max(std::abs(v) - a, 0.0), v); };
  EXPECT_NEAR(fit.coef[0], soft(c0, 0.1), 1e-12);
  EXPECT_NEAR(fit.coef[1], soft(c1, 0.1), 1e-12);
  EXPECT_NEAR(fit.intercept, 1.0, 1e-12);  // mean(y); mean(x) = 0
}

TEST(Dci, IdentityCodesScoreNearOne) {
  const auto train = random_factors(1000, 5, 0), test = random_factors(1000, 5, 1);
  const auto r = compute_dci(train.to(at::kDouble), train, test.to(at::kDouble), test);
  EXPECT_GE(r.disentanglement, 0.9);
  EXPECT_GE(r.completeness, 0.9);
  EXPECT_LT(r.informativeness_test, 0.1);
  EXPECT_EQ(r.informativeness_measure, "nrmse");
}

TEST(Dci, RotatedCodesScoreNearZeroDuplicatesKeepOneCopy) {
  const auto train = random_factors(4000, 2, 2), test = random_factors(1000, 2, 3);
  auto rotate = [](const at::Tensor& f) {
    const auto v = f.to(at::kDouble);
    return at::stack({v.select(1, 0) + v.select(1, 1), v.select(1, 0) - v.select(1, 1)}, 1);
  };
  const auto r = compute_dci(rotate(train), train, rotate(test), test);
  EXPECT_LT(r.disentanglement, 0.05);
  EXPECT_LT(r.completeness, 0.05);
  // [x, x]: Lasso is sparse, so coordinate descent (sklearn's too) gives each factor wholly to the first copy
  // and C stays 1, where dlib's trees split importance and give ~1 - ln2/ln(J). Documented in docs/probes.md.
  const auto dup = at::cat({train, train}, 1).to(at::kDouble), dup_test = at::cat({test, test}, 1).to(at::kDouble);
  const auto d = compute_dci(dup, train, dup_test, test);
  EXPECT_GE(d.disentanglement, 0.9);
  EXPECT_NEAR(d.completeness, 1.0, 1e-6);
}

TEST(Dci, UnknownImportanceIsAUsageError) {
  const auto f = random_factors(20, 2, 4);
  DciOptions o;
  o.importance = "random-forest";  // lasso and gbt are known
  EXPECT_THROW(compute_dci(f.to(at::kDouble), f, f.to(at::kDouble), f, o), UserError);
  EXPECT_THROW(compute_dci(f.to(at::kDouble), f, at::zeros({20, 3}), f), UserError);
}

}  // namespace
}  // namespace latentlab::metrics
