// The diagonal Gaussian posterior q(z|x) of AutoencoderKL (CompVis/latent-diffusion, MIT licence,
// ldm/modules/distributions/distributions.py `DiagonalGaussianDistribution`). The encoder's moments
// N×2C×h×w split along channels into mean and log-variance; the log-variance is clamped to [-30, 20] and
// std = exp(logvar / 2). All tensors are N×C×h×w, float32 unless the moments were another float type.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <c10/util/Optional.h>

namespace latentlab::models {

struct DiagonalGaussian {
  static constexpr double kLogvarMin = -30.0;
  static constexpr double kLogvarMax = 20.0;

  at::Tensor mean;    // N×C×h×w
  at::Tensor logvar;  // N×C×h×w, in [kLogvarMin, kLogvarMax]
  at::Tensor std;     // N×C×h×w, exp(logvar / 2)

  // moments: N×2C×h×w, mean first then log-variance (the output of quant_conv).
  static DiagonalGaussian from_moments(const at::Tensor& moments);
  // From a stored mean and std (the latent store keeps these): logvar = 2·log(std), clamped as above.
  static DiagonalGaussian from_mean_std(const at::Tensor& mean, const at::Tensor& std);

  at::Tensor var() const;  // std²
  // z = mean + std·ε, ε ~ N(0, I) drawn from `generator` (a CPU generator also serves tensors on another
  // device: the noise is drawn on the generator's device and moved), or the default generator.
  at::Tensor sample(c10::optional<at::Generator> generator = c10::nullopt) const;
  at::Tensor mode() const { return mean; }
  // KL(q || N(0, I)) per sample: ½ Σ_{c,h,w} (mean² + var − 1 − logvar), shape N.
  at::Tensor kl() const;
};

// The name the latent store and trainers use.
using Posterior = DiagonalGaussian;

}  // namespace latentlab::models
