// The linear flow-matching objective of SiT/REPA/REPA-E in the toolkit's time convention (TRAINING.md §4):
//
//   x_t = (1 − t)·x + t·ε,   ε ~ N(0, I),   t ∈ [0, 1], t = 0 data and t = 1 pure noise
//   target velocity v = dx_t/dt = ε − x     (α_t = 1 − t, σ_t = t, α̇ = −1, σ̇ = 1)
//
// This is REPA's `path_type="linear"` with `prediction="v"` (sihyun-yu/REPA loss.py). willisma/SiT's own
// transport runs time the other way (t = 0 noise, target x₁ − x₀); a SiT trained in that convention needs
// t ↦ 1 − t and v ↦ −v before it can be used here. The samplers (diffusion/sampler.h) integrate this field
// from t = 1 to t = 0.
//
// Times are drawn per sample: "uniform" t ~ U(0, 1), or "lognormal" t = σ(μ + s·n), n ~ N(0, 1) — REPA's
// `weighting="lognormal"` for the linear path (σ_EDM = exp(n), t = σ_EDM/(1 + σ_EDM), μ = 0, s = 1).
// Latents here are already normalised (diffusion/latent_norm.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace latentlab::diffusion {

struct TimeSampling {
  std::string kind = "uniform";     // "uniform" | "lognormal"
  double mean = 0.0, stddev = 1.0;  // of the normal variable inside the sigmoid (lognormal only)
  // Throws a UserError naming `subject` for an unknown kind or a non-positive stddev.
  void validate(const std::string& subject) const;
  static const std::vector<std::string>& kinds();
};

// N times in [0, 1], float32, on the CPU, drawn from `generator`.
at::Tensor sample_times(int64_t n, const TimeSampling& sampling, at::Generator generator);

// x_t for latents x (N×…) and noise of the same shape at per-sample times t (N); result has x's dtype.
at::Tensor interpolate(const at::Tensor& x, const at::Tensor& noise, const at::Tensor& t);
// The velocity the model learns to predict: ε − x.
at::Tensor velocity_target(const at::Tensor& x, const at::Tensor& noise);

// One training example set: the noisy input, its times, the target.
struct FlowMatchingBatch {
  at::Tensor x_t, t, target, noise;
};
// Draws t (CPU, from `generator`) and ε (on x's device, from `generator` on the CPU, so draws are the same
// on every device) and builds the batch for latents x (N×…, float).
FlowMatchingBatch make_flow_matching_batch(const at::Tensor& x, const TimeSampling& sampling, at::Generator generator);

// REPA's denoising loss: mean over every element of (prediction − target)², i.e. mean_flat then the batch
// mean. A scalar with gradients flowing into `prediction`.
at::Tensor flow_matching_loss(const at::Tensor& prediction, const at::Tensor& target);

}  // namespace latentlab::diffusion
