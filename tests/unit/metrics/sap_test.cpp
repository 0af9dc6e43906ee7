// SAP: the continuous rotation table of METRICS.md §15 (|cos 2θ|), dlib's synthetic identity/duplicate
// cases, and the scalar SVM's optimality (zero gradient of the squared-hinge objective).
#include "metrics/disentanglement/sap.h"

#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

#include "support/disentanglement_data.h"

namespace latentlab::metrics {
namespace {

using testing::random_factors;

TEST(Sap, ContinuousRotationTable) {
  const auto train = random_factors(20000, 2, 0);
  const auto v = train.to(at::kDouble);
  const double pi = std::acos(-1.0);
  SapOptions o;
  o.continuous_factors = true;
  for (double degrees : {0.0, 10.0, 22.5, 30.0, 45.0}) {
    const double t = degrees * pi / 180;
    const auto z = at::stack({std::cos(t) * v.select(1, 0) - std::sin(t) * v.select(1, 1),
                              std::sin(t) * v.select(1, 0) + std::cos(t) * v.select(1, 1)},
                             1);
    EXPECT_NEAR(compute_sap(z, train, z, train, o).sap, std::abs(std::cos(2 * t)), 0.02) << degrees;
  }
}

TEST(Sap, IdentityHighDuplicatedLow) {
  const auto train = random_factors(3000, 3, 1), test = random_factors(3000, 3, 2);
  SapOptions o;
  o.continuous_factors = true;
  EXPECT_GE(compute_sap(train.to(at::kDouble), train, test.to(at::kDouble), test, o).sap, 0.9);
  const auto dup = at::cat({train, train}, 1).to(at::kDouble), dup_test = at::cat({test, test}, 1).to(at::kDouble);
  EXPECT_LE(compute_sap(dup, train, dup_test, test, o).sap, 0.2);
  // Discrete (LinearSVC) branch: a code equal to a 2-valued factor predicts it perfectly, the other not.
  at::manual_seed(3);
  const auto binary = at::randint(2, {1000, 2}, at::kLong);
  const auto r = compute_sap(binary.to(at::kDouble), binary, binary.to(at::kDouble), binary);
  EXPECT_NEAR(r.score_matrix[0][0], 1.0, 1e-12);
  EXPECT_NEAR(r.score_matrix[1][1], 1.0, 1e-12);
  EXPECT_NEAR(r.sap, 0.5, 0.06);  // the other code predicts at chance (balanced weights)
}

TEST(Sap, ScalarSvmSolvesItsObjective) {
  at::manual_seed(4);
  const auto x = at::randn({500}, at::kDouble);
  std::vector<double> xs(x.data_ptr<double>(), x.data_ptr<double>() + 500);
  std::vector<int32_t> labels;
  for (double v : xs) labels.push_back(v + 0.3 * std::sin(17 * v) > 0.2 ? 1 : (v < -0.8 ? 2 : 0));
  const auto svm = fit_scalar_svm(xs, labels, 3, 0.01);
  std::vector<double> count(3, 0);
  for (auto l : labels) ++count[l];
  for (int k = 0; k < 3; ++k) {  // gradient of 1/2(w^2 + b^2) + sum c_i max(0, 1 - y_i(w x_i + b))^2
    double gw = svm.w[k], gb = svm.b[k];
    for (size_t i = 0; i < xs.size(); ++i) {
      const double y = labels[i] == k ? 1 : -1;
      const double c = 0.01 * (labels[i] == k ? 500.0 / (3 * count[k]) : 1.0);
      const double h = 1 - y * (svm.w[k] * xs[i] + svm.b[k]);
      if (h > 0) gw -= 2 * c * h * y * xs[i], gb -= 2 * c * h * y;
    }
    EXPECT_NEAR(gw, 0.0, 1e-10) << k;
    EXPECT_NEAR(gb, 0.0, 1e-10) << k;
  }
}

TEST(Sap, ScoreMatrixGap) {
  EXPECT_NEAR(sap_from_score_matrix({{0.9, 0.2}, {0.3, 0.25}, {0.1, 0.7}}), (0.6 + 0.45) / 2, 1e-15);
}

}  // namespace
}  // namespace latentlab::metrics
