// The samplers against a 2-D Gaussian mixture whose exact velocity field is known (gaussian_mixture.h):
//  - both samplers, conditional on a class and unconditional, reproduce the class's mean, second moments and
//    mode weight. Bound: |estimate − exact| ≤ 5 standard errors of the estimate, the errors measured on the
//    n samples themselves (std/√n; p ≈ 6e-7 per check for an unbiased sampler), plus nothing for the
//    discretisation: at 100 steps the Euler bias on these moments is well below one standard error at n = 2000
//    (0.02 on the mean), and the SDE's last, noiseless step from t = 0.04 barely moves a component's variance;
//  - and the whole distribution: the unbiased MMD² (RBF kernel, bandwidth 0.5) between the sampler's n = 2000
//    and 2000 exact draws of the class lies below a bound calibrated on the null, exact against exact draws
//    of the same sizes (derivation above kMmdNullSds below);
//  - a sampler that ignores the labels, or a field of the wrong sign, misses these bounds by far, and so does
//    the MMD bound, which also rejects the ODE at 4 steps (checked);
//  - guidance at scale 1 equals conditional sampling exactly; the interval switches the unconditional pass on
//    exactly at the grid times inside it; guided values equal v_u + w·(v_c − v_u);
//  - shards concatenate to the unsharded run exactly; integration is float64 throughout.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

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

// n exact draws from class `label`'s mixture (the null class: all components), float64 n×2.
at::Tensor exact_draws(int64_t label, int64_t n, uint64_t seed) {
  at::Generator g = at::detail::createCPUGenerator(seed);
  const at::Tensor component = at::multinomial(at::tensor(kMixture.class_weights(label), at::kDouble), n, true, g);
  std::vector<double> flat;
  for (const auto& m : kMixture.means) flat.insert(flat.end(), m.begin(), m.end());
  const at::Tensor mu = at::tensor(flat, at::kDouble).reshape({-1, 2}).index_select(0, component);
  const at::Tensor std = at::tensor(kMixture.stds, at::kDouble).index_select(0, component).unsqueeze(1);
  return mu + std * at::randn({n, 2}, g, at::kDouble);
}

// The unbiased estimate of the squared maximum mean discrepancy between two samples of equal size m (Gretton
// et al. 2012, "A kernel two-sample test", JMLR 13, eq. 3):
//   MMD²_u = Σ_{i≠j} [k(x_i, x_j) + k(y_i, y_j)] / (m(m − 1)) − 2 Σ_{i,j} k(x_i, y_j) / m²,
// with the Gaussian kernel k(a, b) = exp(−|a − b|² / (2h²)), h = 0.5 fixed: the scale of the components (std
// 0.3 to 0.6), so the kernel sees each mode's shape as well as the weights of modes > 4 std apart (a median
// heuristic would pick h near the distance between modes, ~3, and see mostly the weights). Float64.
constexpr double kMmdBandwidth = 0.5;

double mmd2_unbiased(const at::Tensor& x, const at::Tensor& y) {
  const auto kernel_sum = [](const at::Tensor& a, const at::Tensor& b, bool drop_diagonal) {
    const at::Tensor d2 = (a.pow(2).sum(1, true) + b.pow(2).sum(1).unsqueeze(0) - 2 * at::mm(a, b.t())).clamp_min(0);
    const at::Tensor k = at::exp(-d2 / (2 * kMmdBandwidth * kMmdBandwidth));
    return k.sum().item<double>() - (drop_diagonal ? k.diagonal().sum().item<double>() : 0.0);
  };
  const double m = static_cast<double>(x.size(0));
  return (kernel_sum(x, x, true) + kernel_sum(y, y, true)) / (m * (m - 1)) - 2 * kernel_sum(x, y, false) / (m * m);
}

// The bound, from the null distribution of MMD²_u at these sizes, measured here: R = 20 pairs of independent
// exact samples of class `label` (n = 2000 each, seeds 1000 + 2r and 1001 + 2r) give its mean and standard
// deviation sd, and bound = mean + 10 sd. Why 10: under the null MMD²_u has mean 0 (unbiased) and sd ∝ 1/m,
// but it is a degenerate U-statistic whose limit is a weighted sum of centred χ²₁ variables, so its right tail
// is exponential, not normal, and a normal-style "5 sd" is not rare. Offline (numpy, the same mixture, h and n;
// 200 null pairs per class) the largest of 200 was mean + 5.4 sd for class 0 (3.7 and 3.6 sd for class 1 and
// the null class), the 99th percentile 2.7 to 3.2 sd; with an exponential tail that puts mean + 10 sd near a
// 1e-4 false-alarm rate even when 20 pairs underestimate sd by their ±16 % standard error. In sd units of
// that null, samplers with the exact field at 100 steps gave −0.9 to +1.2 offline and −1.9 to +0.2 here (ODE
// and SDE, all three classes, printed by the test: their discretisation bias is below the null's spread); the
// ODE at 10 steps 10 to 15 offline (too close to the bound to be a control), at 4 steps 74 to 114, the wrong
// class's field ~1100. The controls in TheMomentChecksRejectWrongSamplers use the 4-step ODE and the wrong
// fields.
constexpr int64_t kMmdSize = 2000;
constexpr int kMmdNullPairs = 20;
constexpr double kMmdNullSds = 10.0;

struct MmdNull {
  double mean = 0, sd = 0;
  double bound() const { return mean + kMmdNullSds * sd; }
};

const MmdNull& mmd_null(int64_t label) {
  static std::map<int64_t, MmdNull> cache;
  auto it = cache.find(label);
  if (it != cache.end()) return it->second;
  std::vector<double> values;
  for (int r = 0; r < kMmdNullPairs; ++r)
    values.push_back(
        mmd2_unbiased(exact_draws(label, kMmdSize, 1000 + 2 * r), exact_draws(label, kMmdSize, 1001 + 2 * r)));
  const at::Tensor v = at::tensor(values, at::kDouble);
  return cache[label] = {v.mean().item<double>(), v.std().item<double>()};
}

// MMD²_u between the sampler's output and fresh exact draws (seed 7, used by no null pair) of class `label`.
double mmd_to_mixture(const at::Tensor& x, int64_t label) {
  return mmd2_unbiased(x, exact_draws(label, x.size(0), 7));
}

void expect_mmd_below_bound(const at::Tensor& x, int64_t label, const std::string& what) {
  ASSERT_EQ(x.size(0), kMmdSize);
  const MmdNull& null = mmd_null(label);
  const double mmd = mmd_to_mixture(x, label);
  EXPECT_LE(mmd, null.bound()) << what << " class " << label << ": MMD² " << mmd << ", null mean " << null.mean
                               << " sd " << null.sd;
  std::printf("%s class %lld: MMD² %.3g = null mean %+.1f sd (null mean %.3g, sd %.3g, bound %.3g)\n", what.c_str(),
              static_cast<long long>(label), mmd, (mmd - null.mean) / null.sd, null.mean, null.sd, null.bound());
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
// Moments, mode weight and MMD² of one sampler's n = 2000 samples of class `label` at 100 steps.
void expect_reproduces(const std::string& kind, int64_t label) {
  const at::Tensor x = run(options(kind, 100), 0, kMmdSize, label);
  expect_matches_mixture(x, label, kind);
  expect_mmd_below_bound(x, label, kind);
}

TEST(SamplerTest, BothSamplersReproduceTheBimodalClass) {
  for (const std::string kind : {"ode", "sde"}) expect_reproduces(kind, 0);
}

TEST(SamplerTest, BothSamplersReproduceTheUnimodalClass) {
  for (const std::string kind : {"ode", "sde"}) expect_reproduces(kind, 1);
}

TEST(SamplerTest, BothSamplersReproduceTheMarginalWithTheNullClass) {
  for (const std::string kind : {"ode", "sde"}) expect_reproduces(kind, kMixture.null_class);
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
  // The MMD bound rejects both, and also the right field integrated too coarsely (ODE, 4 steps).
  const double bound = mmd_null(0).bound();
  EXPECT_GT(mmd_to_mixture(wrong_class, 0), 10 * bound);
  EXPECT_GT(mmd_to_mixture(backwards, 0), 10 * bound);
  const at::Tensor coarse = sample(exact_field(), d.noise, at::zeros({n}, at::kLong), options("ode", 4));
  EXPECT_GT(mmd_to_mixture(coarse, 0), bound);
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
