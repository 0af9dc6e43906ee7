// MIG on dlib's synthetic cases (METRICS.md §15, mig_test.py with IdentityObservationsData: 10 factors with
// 10 values, 3000 points): identity code in [0.9, 1], constant or shuffled code in [0, 0.2], duplicated code
// [x, x] in [0, 0.1]; a 45° rotation of two factors gives ~0; the exact real-grid bound for a 40-value factor
// under 20 bins (ln 20 / ln 40 = 0.81210).
#include "metrics/disentanglement/mig.h"

#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

#include "core/error.h"

namespace latentlab::metrics {
namespace {

at::Tensor uniform_factors(int64_t n, int64_t k, int64_t values, uint64_t seed) {
  at::manual_seed(seed);
  return at::randint(values, {n, k}, at::kLong);
}

TEST(Mig, IdentityCodeScoresNearOne) {
  const auto f = uniform_factors(3000, 10, 10, 0);
  const double mig = compute_mig(f.to(at::kDouble), f).mig;
  EXPECT_GE(mig, 0.9);
  EXPECT_LE(mig, 1.0 + 1e-12);
}

TEST(Mig, ConstantAndShuffledCodesScoreLow) {
  const auto f = uniform_factors(3000, 10, 10, 1);
  EXPECT_NEAR(compute_mig(at::zeros({3000, 10}, at::kDouble), f).mig, 0.0, 1e-12);
  // Per-sample permuted codes (dlib's "bad" case): each row's code entries shuffled independently.
  at::manual_seed(2);
  const auto perm = std::get<1>(at::rand({3000, 10}).sort(/*dim=*/1));
  const double mig = compute_mig(f.to(at::kDouble).gather(1, perm), f).mig;
  EXPECT_GE(mig, 0.0);
  EXPECT_LE(mig, 0.2);
}

TEST(Mig, DuplicatedCodeHasNoGap) {
  const auto f = uniform_factors(3000, 10, 10, 3);
  const auto z = at::cat({f, f}, 1).to(at::kDouble);
  EXPECT_LE(compute_mig(z, f).mig, 0.1);
}

TEST(Mig, RotationByFortyFiveDegreesRemovesTheGap) {
  const auto f = uniform_factors(20000, 2, 10, 4).to(at::kDouble);
  const auto z = at::stack({f.select(1, 0) + f.select(1, 1), f.select(1, 0) - f.select(1, 1)}, 1) / std::sqrt(2.0);
  EXPECT_LT(compute_mig(z, f.to(at::kLong)).mig, 0.05);
  EXPECT_GT(compute_mig(f, f.to(at::kLong)).mig, 0.95);
}

TEST(Mig, TwentyBinsCapAFortyValueFactor) {
  // Every value of a 40-value factor, 50 times: 20 bins merge pairs, H(bins) = ln 20 vs H(v) = ln 40.
  const auto v = at::arange(40, at::kLong).repeat({50}).unsqueeze(1);
  EXPECT_NEAR(compute_mig(v.to(at::kDouble), v).mig, std::log(20.0) / std::log(40.0), 1e-12);
}

TEST(Mig, PureFunctionAndJson) {
  std::vector<double> per;
  // Column 0: top two 2.0 and 0.5 over H 3 -> 0.5; column 1: 1.0 and 1.0 -> 0.
  EXPECT_NEAR(mig_from_mutual_info({{2.0, 1.0}, {0.5, 1.0}}, {3.0, 2.0}, &per), 0.25, 1e-15);
  EXPECT_NEAR(per[0], 0.5, 1e-15);
  const auto f = uniform_factors(100, 2, 3, 5);
  const auto j = compute_mig(f.to(at::kDouble), f).to_json();
  EXPECT_EQ(j["protocol"]["bins"], 20);
  EXPECT_EQ(j["protocol"]["num_examples"], 100);
}

TEST(Mig, BadInputsAreUserErrors) {
  const auto f = uniform_factors(10, 2, 3, 6);
  EXPECT_THROW(compute_mig(at::zeros({10}), f), UserError);
  EXPECT_THROW(compute_mig(at::zeros({9, 2}), f), UserError);
  EXPECT_THROW(compute_mig(at::zeros({10, 2}), f.to(at::kFloat)), UserError);
  EXPECT_THROW(compute_mig(at::full({10, 2}, NAN), f), UserError);
  MigOptions o;
  o.bins = 0;
  EXPECT_THROW(compute_mig(at::zeros({10, 2}), f, o), UserError);
}

}  // namespace
}  // namespace latentlab::metrics
