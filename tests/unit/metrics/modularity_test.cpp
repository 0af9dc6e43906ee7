// Modularity against the MI-matrix oracles of METRICS.md §15 (dlib modularity_explicitness_test.py) and
// explicitness on identity / constant codes.
#include "metrics/disentanglement/modularity.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "support/disentanglement_data.h"

namespace latentlab::metrics {
namespace {

using Matrix = std::vector<std::vector<double>>;
using testing::identity_rows;

TEST(Modularity, MutualInformationOracles) {
  EXPECT_NEAR(modularity_from_mutual_info(identity_rows(5)), 1.0, 1e-12);
  Matrix v = identity_rows(5), d = identity_rows(5);
  v.insert(v.end(), d.begin(), d.end());
  EXPECT_NEAR(modularity_from_mutual_info(v), 1.0, 1e-12);
  EXPECT_NEAR(modularity_from_mutual_info(Matrix(d.begin(), d.begin() + 2)), 1.0, 1e-12);
  EXPECT_NEAR(modularity_from_mutual_info({{1, 0}, {0, 1}, {0, 0}}), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(modularity_from_mutual_info(Matrix(5, std::vector<double>(5, 0.0))), 0.0, 1e-12);
  Matrix h = identity_rows(5);
  for (auto& row : h) row.insert(row.end(), row.begin(), row.end());
  EXPECT_NEAR(modularity_from_mutual_info(h), 1.0 - 1.0 / 9.0, 1e-12);
}

TEST(Modularity, IdentityCodesAreModularAndExplicit) {
  at::manual_seed(0);
  const auto train = at::randint(10, {1000, 5}, at::kLong), test = at::randint(10, {500, 5}, at::kLong);
  const auto r = compute_modularity_explicitness(train.to(at::kDouble), train, test.to(at::kDouble), test);
  EXPECT_GE(r.modularity, 0.9);
  EXPECT_GE(r.explicitness_test, 0.9);
  EXPECT_EQ(r.to_json()["protocol"]["bins"], 20);
}

TEST(Modularity, ConstantCodesScoreZeroModularityAndChanceExplicitness) {
  at::manual_seed(1);
  const auto train = at::randint(10, {500, 3}, at::kLong), test = at::randint(10, {200, 3}, at::kLong);
  const auto r =
      compute_modularity_explicitness(at::zeros({500, 4}, at::kDouble), train, at::zeros({200, 4}, at::kDouble), test);
  EXPECT_EQ(r.modularity, 0.0);
  EXPECT_NEAR(r.explicitness_test, 0.5, 1e-9);  // every class probability is the same: AUC 1/2
}

}  // namespace
}  // namespace latentlab::metrics
