// Euler ODE and Euler–Maruyama SDE samplers for the linear flow-matching path (diffusion/flow_matching.h:
// x_t = (1 − t)·x + t·ε, t = 1 noise), after REPA/REPA-E `samplers.py` (euler_sampler, euler_maruyama_sampler;
// sihyun-yu/REPA 67f7145, MIT licence). PAPER.md §10 has the maths; in short:
//
//   ODE  grid t_i = 1 − i/N, i = 0..N; x ← x + (t_{i+1} − t_i)·v̂(x, t_i)                          (N evaluations)
//   SDE  grid t_0..t_{N−1} = linspace(1, t_last, N) (t_last = 0.04), then t_N = 0; diffusion w(t) = 2t.
//        Under the linear path the score is s = −(x + (1 − t)·v̂)/t (E[ε | x_t] = x_t + (1 − t)·v), so the
//        reverse drift v̂ − ½·w·s is d = x + (2 − t)·v̂. Steps i < N − 1:
//          x ← x + d·Δt + sqrt(w(t_i))·sqrt(|Δt|)·ξ,  Δt = t_{i+1} − t_i < 0, ξ ~ N(0, I) per sample;
//        the last step (t_last → 0) takes the mean: x ← x + d·Δt, no noise.              (N evaluations)
//
// Classifier-free guidance: where low ≤ t_i ≤ high and scale ≠ 1 the velocity function sees the batch twice
// in one call (labels, then the null class; REPA's concatenated batch) and v̂ = v̂_u + scale·(v̂_c − v̂_u) on
// every element (all latent channels). Guiding v̂ equals REPA-E's guiding of the SDE drift, since the drift is
// affine in v̂ for a fixed x. Elsewhere, and everywhere at scale 1, v̂ = v̂_c from one pass of the labels.
//
// Arithmetic is float64 throughout: the state, the grid and the updates. The velocity function receives the
// float64 state and returns a tensor of its shape (any floating dtype; it is promoted to float64), so a
// model may run in float32 inside it while an analytic field stays exact.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace latentlab::diffusion {

// v̂(x, t, labels): x float64 M×…, t the time of every row, labels int64 M (the null class where guidance
// asks for the unconditional field). Returns M×… velocities.
using VelocityFn = std::function<at::Tensor(const at::Tensor& x, double t, const at::Tensor& labels)>;

struct Guidance {
  double scale = 1.0;
  double low = 0.0, high = 1.0;  // the interval of t where guidance applies (inclusive)
  bool active_at(double t) const { return scale != 1.0 && t >= low && t <= high; }
};

struct SamplerOptions {
  std::string kind = "sde";  // "ode" | "sde"
  int64_t steps = 250;       // velocity evaluations per sample (twice as many rows where guided)
  double sde_last_t = 0.04;  // the SDE grid ends here before its final mean step to 0
  Guidance guidance;
  int64_t null_class = -1;  // the label of the unconditional field; required when guidance can apply

  // Throws a UserError naming the option for an unknown kind, steps < 1 (< 2 for the SDE), an interval
  // outside [0, 1] or reversed, or a missing null class while guidance is on.
  void validate() const;
  static const std::vector<std::string>& kinds();
};

// The times at which the sampler evaluates v̂, followed by the final time 0 (steps + 1 values).
std::vector<double> time_grid(const SamplerOptions& options);

// v̂ at one time with guidance applied (see above).
at::Tensor guided_velocity(const VelocityFn& velocity, const at::Tensor& x, double t, const at::Tensor& labels,
                           const SamplerOptions& options);

// Integrates from noise x1 (N×…, any float dtype; integrated as float64) at t = 1 to t = 0 and returns the
// float64 result. The SDE draws its increments row by row, row r from noise_generators[r] (one CPU generator
// per sample, so a sample's path does not depend on which batch it is in); the ODE needs none.
at::Tensor sample(const VelocityFn& velocity, const at::Tensor& x1, const at::Tensor& labels,
                  const SamplerOptions& options, std::vector<at::Generator>* noise_generators = nullptr);

}  // namespace latentlab::diffusion
