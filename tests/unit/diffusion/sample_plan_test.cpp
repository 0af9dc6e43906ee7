// Per-sample seeding and labels (sample_plan.h): a sample's draws do not depend on the batch it is drawn in;
// balanced labels count every class equally. (Shard parsing and ranges: tests/unit/distributed.)
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "diffusion/sample_plan.h"

namespace latentlab::diffusion {
namespace {

TEST(SamplePlanTest, DrawsDoNotDependOnBatching) {
  const LabelOptions labels{"uniform", 7};
  const auto whole = draw_samples(0, 6, {2, 3}, labels, 9);
  const auto tail = draw_samples(4, 2, {2, 3}, labels, 9);
  EXPECT_TRUE(at::equal(whole.noise.narrow(0, 4, 2), tail.noise));
  EXPECT_TRUE(at::equal(whole.labels.narrow(0, 4, 2), tail.labels));
  EXPECT_EQ(whole.noise.scalar_type(), at::kDouble);
  // The generators continue identically (the SDE's increments).
  EXPECT_TRUE(
      at::equal(at::randn({3}, whole.generators[5], at::kDouble), at::randn({3}, tail.generators[1], at::kDouble)));
  // Another seed, other draws.
  EXPECT_FALSE(at::equal(draw_samples(0, 6, {2, 3}, labels, 10).noise, whole.noise));
  EXPECT_GE(whole.labels.min().item<int64_t>(), 0);
  EXPECT_LT(whole.labels.max().item<int64_t>(), 7);
}

TEST(SamplePlanTest, BalancedLabelsCountEveryClassEqually) {
  const auto d = draw_samples(0, 30, {1}, {"balanced", 10}, 0);
  EXPECT_TRUE(at::equal(at::bincount(d.labels), at::full({10}, 3, at::kLong)));
}

}  // namespace
}  // namespace latentlab::diffusion
