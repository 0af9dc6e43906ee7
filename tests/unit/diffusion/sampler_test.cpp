// The samplers against a 2-D Gaussian mixture whose exact velocity field is known (gaussian_mixture.h):
//  - both samplers, conditional on a class and unconditional, reproduce the class's mean, second moments and
//    mode weight. Bound: |estimate − exact| ≤ 5 standard errors of the estimate, the errors measured on the
//    n samples themselves (std/√n; p ≈ 6e-7 per check for an unbiased sampler), plus nothing for the
//    discretisation: at 100 steps the Euler bias on these moments is well below one standard error at n = 2000
//    (0.02 on the mean), and the SDE's last, noiseless step from t = 0.04 barely moves a component's variance;
//  - a sampler that ignores the labels, or a field of the wrong sign, misses these bounds by far (checked);
//  - guidance at scale 1 equals conditional sampling exactly; the interval switches the unconditional pass on
//    exactly at the grid times inside it; guided values equal v_u + w·(v_c − v_u);
//  - shards concatenate to the unsharded run exactly; integration is float64 throughout.
#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

#include "core/error.h"
#include "diffusion/sample_plan.h"
#include "diffusion/sampler.h"
#include "distributed/shard.h"
#include "gaussian_mixture.h"

namespace latentlab::diffusion {
namespace {

using testing::GaussianMixture2D;

const GaussianMixture2D kMixture = GaussianMixture2D::example();

VelocityFn exact_field() {
  return [](const at::Tensor& x, double t, const at::Tensor& labels) { return kMixture.velocity(x, t, labels); };
}

SamplerOptions options(const std::string& kind, int64_t steps) {
  SamplerOptions o;
  o.kind = kind;
  o.steps = steps;
  o.null_class = kMixture.null_class;
  return o;
}

at::Tensor run(const SamplerOptions& o, int64_t first, int64_t count, int64_t label, uint64_t seed = 1) {
  SampleDraws d = draw_samples(first, count, {2}, {"balanced", 1}, seed);
  return sample(exact_field(), d.noise, at::full({count}, label, at::kLong), o, &d.generators);
}

// Checks mean, second moments and the upper-mode weight of class `label` against the exact mixture.
void expect_matches_mixture(const at::Tensor& x, int64_t label, const std::string& what) {
  const double n = static_cast<double>(x.size(0));
  const auto mean = kMixture.mean(label), second = kMixture.second_moment(label);
  for (int d = 0; d < 2; ++d) {
    const at::Tensor col = x.select(1, d);
    const double m = col.mean().item<double>(), se = col.std().item<double>() / std::sqrt(n);
    EXPECT_LE(std::abs(m - mean[d]), 5 * se) << what << " mean[" << d << "] " << m << " vs " << mean[d];
    const at::Tensor sq = col.pow(2);
    const double m2 = sq.mean().item<double>(), se2 = sq.std().item<double>() / std::sqrt(n);
    EXPECT_LE(std::abs(m2 - second[d]), 5 * se2) << what << " E[x" << d << "²] " << m2 << " vs " << second[d];
  }
  // Weight of the mode at (−2, 2.5): the samples with y > 1.25 and x < 0 (the modes are > 4 std apart).
  const auto w = kMixture.class_weights(label);
  const double p = w[1];
  const double got = (x.select(1, 1) > 1.25).logical_and(x.select(1, 0) < 0).to(at::kDouble).mean().item<double>();
  EXPECT_LE(std::abs(got - p), 5 * std::sqrt(std::max(p * (1 - p), 1.0 / n) / n)) << what << " mode weight";
}

TEST(SamplerTest, TimeGridsFollowRepaE) {
  const auto ode = time_grid(options("ode", 4));
  EXPECT_EQ(ode, (std::vector<double>{1.0, 0.75, 0.5, 0.25, 0.0}));
  const auto sde = time_grid(options("sde", 4));  // linspace(1, 0.04, 4) then 0
  ASSERT_EQ(sde.size(), 5u);
  EXPECT_EQ(sde[0], 1.0);
  EXPECT_NEAR(sde[1], 0.68, 1e-15);
  EXPECT_NEAR(sde[2], 0.36, 1e-15);
  EXPECT_EQ(sde[3], 0.04);
  EXPECT_EQ(sde[4], 0.0);
}

// n = 2000 samples per class and sampler, 100 steps (see the top of the file for the bounds).
TEST(SamplerTest, BothSamplersReproduceTheBimodalClass) {
  for (const std::string kind : {"ode", "sde"}) expect_matches_mixture(run(options(kind, 100), 0, 2000, 0), 0, kind);
}

TEST(SamplerTest, BothSamplersReproduceTheUnimodalClass) {
  for (const std::string kind : {"ode", "sde"}) expect_matches_mixture(run(options(kind, 100), 0, 2000, 1), 1, kind);
}

TEST(SamplerTest, BothSamplersReproduceTheMarginalWithTheNullClass) {
  for (const std::string kind : {"ode", "sde"})
    expect_matches_mixture(run(options(kind, 100), 0, 2000, kMixture.null_class), kMixture.null_class, kind);
}

TEST(SamplerTest, TheMomentChecksRejectWrongSamplers) {
  // The same bounds must fail for a field of the wrong class and for a reversed field; otherwise the test
  // above would prove nothing.
  constexpr int64_t n = 2000;
  const auto o = options("ode", 50);
  SampleDraws d = draw_samples(0, n, {2}, {"balanced", 1}, 3);
  const at::Tensor wrong_class = sample(exact_field(), d.noise, at::full({n}, 1, at::kLong), o);
  const auto mean0 = kMixture.mean(0);
  EXPECT_GT(std::abs(wrong_class.select(1, 0).mean().item<double>() - mean0[0]), 1.0);
  const VelocityFn reversed = [](const at::Tensor& x, double t, const at::Tensor& y) {
    return -kMixture.velocity(x, t, y);
  };
  const at::Tensor backwards = sample(reversed, d.noise, at::zeros({n}, at::kLong), o);
  EXPECT_GT((backwards.select(1, 0).mean() - mean0[0]).abs().item<double>(), 1.0);
}

TEST(SamplerTest, GuidanceAtScaleOneIsConditionalSamplingExactly) {
  for (const std::string kind : {"ode", "sde"}) {
    auto guided = options(kind, 20);
    guided.guidance = {1.0, 0.0, 1.0};
    const at::Tensor a = run(guided, 0, 64, 0), b = run(options(kind, 20), 0, 64, 0);
    EXPECT_TRUE(at::equal(a, b)) << kind;
    // And the guided formula at scale 1 agrees with the conditional field to rounding.
    auto forced = options(kind, 20);
    const at::Tensor x = at::randn({8, 2}, at::kDouble), y = at::zeros({8}, at::kLong);
    forced.guidance = {1.0 + 1e-12, 0.0, 1.0};
    EXPECT_TRUE(
        at::allclose(guided_velocity(exact_field(), x, 0.5, y, forced), kMixture.velocity(x, 0.5, y), 1e-9, 1e-9));
  }
}

TEST(SamplerTest, TheIntervalSwitchesGuidanceAtTheRightTimes) {
  // ODE, 10 steps: t = 1, 0.9, …, 0.1. Interval [0.25, 0.65] holds 0.6, 0.5, 0.4, 0.3.
  auto o = options("ode", 10);
  o.guidance = {3.0, 0.25, 0.65};
  std::vector<double> guided_times;
  const VelocityFn recording = [&](const at::Tensor& x, double t, const at::Tensor& labels) {
    const int64_t nulls = labels.eq(kMixture.null_class).sum().item<int64_t>();
    if (nulls > 0) {
      EXPECT_EQ(x.size(0), 8);  // one call, conditional rows then unconditional rows
      EXPECT_TRUE(at::equal(labels.narrow(0, 4, 4), at::full({4}, kMixture.null_class, at::kLong)));
      guided_times.push_back(t);
    } else {
      EXPECT_EQ(x.size(0), 4);
    }
    EXPECT_EQ(x.scalar_type(), at::kDouble);
    return kMixture.velocity(x, t, labels);
  };
  const at::Tensor x1 = at::randn({4, 2}, at::kDouble);
  const at::Tensor labels = at::tensor(std::vector<int64_t>{0, 1, 0, 1}, at::kLong);
  const at::Tensor got = sample(recording, x1, labels, o);
  ASSERT_EQ(guided_times.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(guided_times[i], 0.6 - 0.1 * static_cast<double>(i), 1e-12);

  // The same integration written out: v_u + 3·(v_c − v_u) inside the interval, v_c outside.
  at::Tensor x = x1.clone();
  const at::Tensor nulls = at::full({4}, kMixture.null_class, at::kLong);
  for (int i = 0; i < 10; ++i) {
    const double t = 1.0 - i / 10.0;
    at::Tensor v = kMixture.velocity(x, t, labels);
    if (t >= 0.25 && t <= 0.65) {
      const at::Tensor u = kMixture.velocity(x, t, nulls);
      v = u + 3.0 * (v - u);
    }
    x = x - 0.1 * v;
  }
  EXPECT_TRUE(at::allclose(got, x, 1e-12, 1e-12));
}

TEST(SamplerTest, ShardsConcatenateToTheUnshardedRun) {
  constexpr int64_t total = 10;
  auto o = options("sde", 12);
  o.guidance = {2.0, 0.0, 0.7};
  LabelOptions labels{"uniform", 2};
  auto run_range = [&](int64_t first, int64_t count) {
    SampleDraws d = draw_samples(first, count, {2}, labels, 5);
    return std::pair{sample(exact_field(), d.noise, d.labels, o, &d.generators), d.labels};
  };
  const auto [whole, whole_labels] = run_range(0, total);
  std::vector<at::Tensor> parts, part_labels;
  for (int64_t i = 0; i < 3; ++i) {
    const distributed::ShardRange r = distributed::shard_range(total, {static_cast<int>(i), 3});
    auto [x, y] = run_range(r.begin, r.size());
    parts.push_back(x);
    part_labels.push_back(y);
  }
  EXPECT_TRUE(at::equal(at::cat(part_labels), whole_labels));
  EXPECT_TRUE(at::allclose(at::cat(parts), whole, 0, 1e-14));
  EXPECT_FALSE(at::allclose(whole.narrow(0, 0, 1), whole.narrow(0, 1, 1)));  // samples differ
}

TEST(SamplerTest, IntegratesInFloat64) {
  // A constant field of 1e-9 over 1000 steps moves x = 1 to 1 − 1e-9: lost entirely in float32.
  auto o = options("ode", 1000);
  const VelocityFn tiny = [](const at::Tensor& x, double, const at::Tensor&) {
    EXPECT_EQ(x.scalar_type(), at::kDouble);
    return at::full_like(x, 1e-9, at::TensorOptions().dtype(at::kFloat));  // a float32 model output
  };
  const at::Tensor out = sample(tiny, at::ones({2, 3}, at::kFloat), at::zeros({2}, at::kLong), o);
  EXPECT_EQ(out.scalar_type(), at::kDouble);
  // 1000 float64 additions round by at most 1000 · 2⁻⁵³ ≈ 1.1e-13; float32 would be off by the whole 1e-9.
  EXPECT_NEAR(out[0][0].item<double>(), 1.0 - static_cast<double>(1e-9f), 1e-12);
}

TEST(SamplerTest, BadOptionsAreUserErrors) {
  auto o = options("euler", 10);
  EXPECT_THROW(o.validate(), UserError);
  o = options("sde", 1);
  EXPECT_THROW(o.validate(), UserError);
  o = options("ode", 10);
  o.guidance = {2.0, 0.8, 0.2};
  EXPECT_THROW(o.validate(), UserError);
  o.guidance = {2.0, 0.0, 1.0};
  o.null_class = -1;
  EXPECT_THROW(o.validate(), UserError);
}

}  // namespace
}  // namespace latentlab::diffusion
