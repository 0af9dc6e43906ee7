// KID on hand-computed cases, statistical properties (same distribution ~ 0, shifted > 0, symmetric),
// subset-size handling and errors. The torch-fidelity cross-check is in
// tests/reference/metrics/kid_reference_test.cpp.
#include "metrics/generative/kid.h"

#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

#include "core/error.h"

namespace latentlab::metrics {
namespace {

TEST(Kid, TinyCasesComputedByHand) {
  // D = 1, gamma = 1, coef0 = 1, k(a, b) = (ab + 1)^3; x = {0, 1}, y = {1, 2}:
  // off-diagonal K_XX: 2 k(0,1) = 2; K_YY: 2 k(1,2) = 54; K_XY: k(0,1) + k(0,2) + k(1,1) + k(1,2) = 1+1+8+27 = 37.
  // MMD^2_u = (2 + 54) / (2 * 1) - 2 * 37 / 4 = 28 - 18.5 = 9.5.
  const auto x = at::tensor({0.0, 1.0}, at::kDouble).view({2, 1}), y = at::tensor({1.0, 2.0}, at::kDouble).view({2, 1});
  EXPECT_DOUBLE_EQ(polynomial_mmd2_unbiased(x, y), 9.5);
  // D = 2, gamma = 1/2: x = {e1, e2}, y = {(1,1), (0,0)}; all off-diagonal same-set products are 0 -> k = 1;
  // K_XY: e1.(1,1) = e2.(1,1) = 1 -> 1.5^3 = 3.375 twice, the zero vector -> 1 twice: sum 8.75.
  // MMD^2_u = (2 + 2) / 2 - 2 * 8.75 / 4 = -2.375 (negative values are valid for the unbiased estimate).
  const auto x2 = at::tensor({1.0, 0.0, 0.0, 1.0}, at::kDouble).view({2, 2});
  const auto y2 = at::tensor({1.0, 1.0, 0.0, 0.0}, at::kDouble).view({2, 2});
  EXPECT_DOUBLE_EQ(polynomial_mmd2_unbiased(x2, y2), -2.375);
  // With subsets as large as the sets, every subset is the whole set (in another order): KID = that value,
  // std 0.
  KidOptions options;
  options.subsets = 4;
  options.subset_size = 2;
  const auto result = kernel_inception_distance(x2, y2, options);
  EXPECT_DOUBLE_EQ(result.mean, -2.375);
  EXPECT_NEAR(result.std, 0.0, 1e-15);
}

TEST(Kid, SameDistributionIsNearZeroAndAShiftIsNot) {
  at::manual_seed(1);
  const auto x = at::randn({1000, 32}, at::kDouble), y = at::randn({1000, 32}, at::kDouble);
  KidOptions options;
  options.subsets = 20;
  options.subset_size = 250;
  const auto same = kernel_inception_distance(x, y, options);
  // E[MMD^2_u] = 0 for one distribution; the mean of 20 subsets lies within a few standard errors of 0.
  EXPECT_LT(std::abs(same.mean), 4 * same.std / std::sqrt(20.0) + 1e-12);
  const auto shifted = kernel_inception_distance(x, y + 0.3, options);
  EXPECT_GT(shifted.mean, 10 * same.std);
  // The set against itself: subsets drawn independently from one finite set share ~m^2/N rows, whose
  // k(x_i, x_i) terms enter K_XY but not the off-diagonal K_XX, K_YY sums, so the value is slightly negative
  // instead of 0 in expectation; it stays tiny next to a real shift.
  const auto itself = kernel_inception_distance(x, x, options);
  EXPECT_LT(itself.mean, 0.0);
  EXPECT_LT(std::abs(itself.mean), 0.05 * shifted.mean);
}

TEST(Kid, SymmetricWhenSubsetsCoverTheSets) {
  at::manual_seed(2);
  const auto x = at::randn({60, 8}, at::kDouble), y = at::randn({60, 8}, at::kDouble) * 1.3;
  KidOptions options;
  options.subsets = 3;
  options.subset_size = 60;
  const double xy = kernel_inception_distance(x, y, options).mean, yx = kernel_inception_distance(y, x, options).mean;
  EXPECT_NEAR(xy, yx, 1e-12 * std::abs(xy));
  EXPECT_NEAR(xy, polynomial_mmd2_unbiased(x, y), 1e-12 * std::abs(xy));
}

TEST(Kid, SubsetSizeAboveTheSetSizeShrinksOrFails) {
  at::manual_seed(3);
  const auto x = at::randn({50, 4}), y = at::randn({70, 4});
  KidOptions options;  // 1000 per subset
  options.subsets = 2;
  EXPECT_EQ(kernel_inception_distance(x, y, options).subset_size, 50);
  options.shrink_subset_size = false;
  EXPECT_THROW(kernel_inception_distance(x, y, options), UserError);
}

TEST(Kid, BadInputsAreUserErrors) {
  EXPECT_THROW(kernel_inception_distance(at::zeros({10, 3}), at::zeros({10, 4})), UserError);
  EXPECT_THROW(kernel_inception_distance(at::zeros({10}), at::zeros({10, 4})), UserError);
  EXPECT_THROW(polynomial_mmd2_unbiased(at::zeros({1, 3}), at::zeros({1, 3})), UserError);
  KidMetric metric(at::zeros({10, 3}));
  EXPECT_THROW(metric.update(at::zeros({2, 4})), UserError);
  EXPECT_THROW(metric.finalize(), UserError);
  EXPECT_THROW(metric.merge(KidMetric(at::ones({10, 3}))), UserError);
}

}  // namespace
}  // namespace latentlab::metrics
