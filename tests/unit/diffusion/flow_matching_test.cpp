// The flow-matching path, target and loss against their closed forms (flow_matching.h), and the time
// distributions against theirs: U(0, 1) has mean 1/2, variance 1/12; the logit-normal with μ = 0, s = 1 has
// median 1/2 and P(t < σ(1)) = Φ(1) = 0.8413. Bounds are 5 standard errors at n = 20000.
#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "core/error.h"
#include "diffusion/flow_matching.h"

namespace latentlab::diffusion {
namespace {

TEST(FlowMatchingTest, PathEndsAndTargetAreTheLinearInterpolant) {
  const at::Tensor x = at::randn({3, 2, 4, 4}), noise = at::randn({3, 2, 4, 4});
  const at::Tensor t = at::tensor(std::vector<float>{0.0f, 1.0f, 0.25f});
  const at::Tensor xt = interpolate(x, noise, t);
  EXPECT_TRUE(at::equal(xt[0], x[0]));      // t = 0: data
  EXPECT_TRUE(at::equal(xt[1], noise[1]));  // t = 1: noise
  EXPECT_TRUE(at::allclose(xt[2], 0.75 * x[2] + 0.25 * noise[2]));
  // v = dx_t/dt: a finite difference in t along the path gives ε − x.
  const at::Tensor ahead = interpolate(x, noise, t + 1e-3f);
  EXPECT_TRUE(at::allclose((ahead - xt) / 1e-3, velocity_target(x, noise), 1e-3, 1e-3));
}

TEST(FlowMatchingTest, LossIsTheMeanSquaredErrorWithGradient) {
  const at::Tensor target = at::randn({4, 3});
  const at::Tensor prediction = at::zeros({4, 3}).requires_grad_(true);
  const at::Tensor loss = flow_matching_loss(prediction, target);
  EXPECT_NEAR(loss.item<double>(), target.pow(2).mean().item<double>(), 1e-6);
  loss.backward();
  EXPECT_TRUE(at::allclose(prediction.grad(), -2.0 * target / 12.0));
  EXPECT_EQ(flow_matching_loss(target, target).item<double>(), 0.0);
}

TEST(FlowMatchingTest, TimeDistributions) {
  constexpr int64_t n = 20000;
  auto g = at::make_generator<at::CPUGeneratorImpl>(11);
  const at::Tensor u = sample_times(n, {}, g);
  EXPECT_GE(u.min().item<float>(), 0.0f);
  EXPECT_LT(u.max().item<float>(), 1.0f);
  EXPECT_NEAR(u.mean().item<double>(), 0.5, 5 * std::sqrt(1.0 / 12 / n));
  const at::Tensor l = sample_times(n, {"lognormal", 0.0, 1.0}, g);
  const double below = (l < 1.0 / (1.0 + std::exp(-1.0))).to(at::kDouble).mean().item<double>();
  EXPECT_NEAR(below, 0.841345, 5 * std::sqrt(0.841345 * 0.158655 / n));
  const double below_half = (l < 0.5).to(at::kDouble).mean().item<double>();
  EXPECT_NEAR(below_half, 0.5, 5 * std::sqrt(0.25 / n));
  EXPECT_THROW(sample_times(4, {"cosine"}, g), UserError);
}

TEST(FlowMatchingTest, TrainingBatchIsSeededAndConsistent) {
  const at::Tensor x = at::randn({5, 4, 2, 2});
  auto g1 = at::make_generator<at::CPUGeneratorImpl>(3), g2 = at::make_generator<at::CPUGeneratorImpl>(3);
  const auto a = make_flow_matching_batch(x, {}, g1), b = make_flow_matching_batch(x, {}, g2);
  EXPECT_TRUE(at::equal(a.x_t, b.x_t));
  EXPECT_TRUE(at::allclose(a.x_t, interpolate(x, a.noise, a.t)));
  EXPECT_TRUE(at::equal(a.target, a.noise - x));
}

}  // namespace
}  // namespace latentlab::diffusion
