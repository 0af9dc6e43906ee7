#include "diffusion/sampler.h"

#include <cmath>

#include <ATen/ATen.h>

#include "core/error.h"

namespace latentlab::diffusion {
namespace {

// The standard normal increments of one SDE step: row r from generator r, drawn on the CPU in float64.
at::Tensor row_noise(const at::Tensor& like, std::vector<at::Generator>& generators) {
  // normal_ into each row of one buffer is what randn(row_shape, g) does, without a tensor per row.
  at::Tensor out = at::empty(like.sizes(), at::TensorOptions().dtype(at::kDouble));
  for (size_t r = 0; r < generators.size(); ++r)
    out.select(0, static_cast<int64_t>(r)).normal_(0.0, 1.0, generators[r]);
  return out.to(like.device());
}

// torch.linspace(start, end, n) in float64, value for value: the first half counts up from start, the second
// half down from end (ATen's RangeFactories kernel), so both ends are exact.
std::vector<double> linspace(double start, double end, int64_t n) {
  std::vector<double> out(static_cast<size_t>(n));
  if (n == 1) return {start};
  const double step = (end - start) / static_cast<double>(n - 1);
  const int64_t halfway = n / 2;
  for (int64_t i = 0; i < n; ++i)
    out[static_cast<size_t>(i)] =
        i < halfway ? start + step * static_cast<double>(i) : end - step * static_cast<double>(n - i - 1);
  return out;
}

}  // namespace

const std::vector<std::string>& SamplerOptions::kinds() {
  static const std::vector<std::string> list = {"ode", "sde"};
  return list;
}

void SamplerOptions::validate() const {
  if (kind != "ode" && kind != "sde") fail_usage("--sampler", "unknown sampler '{}' (known: ode, sde)", kind);
  if (steps < (kind == "sde" ? 2 : 1))
    fail_usage("--steps", "must be >= {} for the {} sampler, got {}", kind == "sde" ? 2 : 1, kind, steps);
  if (kind == "sde" && !(sde_last_t > 0.0 && sde_last_t < 1.0))
    fail_usage("sde_last_t", "must lie in (0, 1), got {}", sde_last_t);
  if (!(guidance.low >= 0.0 && guidance.high <= 1.0 && guidance.low <= guidance.high))
    fail_usage("--cfg-interval", "must be LOW,HIGH with 0 <= LOW <= HIGH <= 1, got [{}, {}]", guidance.low,
               guidance.high);
  if (!std::isfinite(guidance.scale)) fail_usage("--cfg-scale", "must be finite, got {}", guidance.scale);
  if (guidance.scale != 1.0 && null_class < 0) fail_usage("--cfg-scale", "guidance needs a model with a null class");
}

std::vector<double> time_grid(const SamplerOptions& options) {
  if (options.kind == "ode") return linspace(1.0, 0.0, options.steps + 1);
  std::vector<double> grid = linspace(1.0, options.sde_last_t, options.steps);
  grid.push_back(0.0);
  return grid;
}

at::Tensor guided_velocity(const VelocityFn& velocity, const at::Tensor& x, double t, const at::Tensor& labels,
                           const SamplerOptions& options) {
  if (!options.guidance.active_at(t)) return velocity(x, t, labels).to(at::kDouble);
  const int64_t n = x.size(0);
  const at::Tensor nulls = at::full_like(labels, options.null_class);
  const at::Tensor both = velocity(at::cat({x, x}), t, at::cat({labels, nulls})).to(at::kDouble);
  const at::Tensor conditional = both.narrow(0, 0, n), unconditional = both.narrow(0, n, n);
  return unconditional + options.guidance.scale * (conditional - unconditional);
}

at::Tensor sample(const VelocityFn& velocity, const at::Tensor& x1, const at::Tensor& labels,
                  const SamplerOptions& options, std::vector<at::Generator>* noise_generators) {
  options.validate();
  LATENTLAB_ASSERT(labels.dim() == 1 && labels.size(0) == x1.size(0), "labels must be N, got {} for {} rows",
                   labels.dim(), x1.size(0));
  const std::vector<double> grid = time_grid(options);
  at::Tensor x = x1.to(at::kDouble).clone();
  if (options.kind == "ode") {
    for (size_t i = 0; i + 1 < grid.size(); ++i)
      x = x + (grid[i + 1] - grid[i]) * guided_velocity(velocity, x, grid[i], labels, options);
    return x;
  }
  LATENTLAB_ASSERT(noise_generators && noise_generators->size() == static_cast<size_t>(x.size(0)),
                   "the SDE needs one noise generator per sample");
  for (size_t i = 0; i + 1 < grid.size(); ++i) {
    const double t = grid[i], dt = grid[i + 1] - grid[i];
    const at::Tensor v = guided_velocity(velocity, x, t, labels, options);
    const at::Tensor drift = x + (2.0 - t) * v;  // v − ½·(2t)·s with s = −(x + (1 − t)·v)/t
    x = x + drift * dt;
    if (i + 2 < grid.size()) x = x + std::sqrt(2.0 * t) * std::sqrt(std::abs(dt)) * row_noise(x, *noise_generators);
  }
  return x;
}

}  // namespace latentlab::diffusion
