#include "models/autoencoder_kl_posterior.h"

#include <ATen/ATen.h>
#include <c10/util/StringUtil.h>

#include "core/error.h"

namespace latentlab::models {

DiagonalGaussian DiagonalGaussian::from_moments(const at::Tensor& moments) {
  LATENTLAB_ASSERT(moments.dim() == 4 && moments.size(1) % 2 == 0, "moments must be N×2C×h×w, got {}",
                   c10::str(moments.sizes()));
  auto parts = moments.chunk(2, 1);
  DiagonalGaussian q;
  q.mean = parts[0];
  q.logvar = at::clamp(parts[1], kLogvarMin, kLogvarMax);
  q.std = at::exp(0.5 * q.logvar);
  return q;
}

DiagonalGaussian DiagonalGaussian::from_mean_std(const at::Tensor& mean, const at::Tensor& std) {
  LATENTLAB_ASSERT(mean.sizes() == std.sizes(), "mean {} and std {} differ in shape", c10::str(mean.sizes()),
                   c10::str(std.sizes()));
  DiagonalGaussian q;
  q.mean = mean;
  q.logvar = at::clamp(2.0 * at::log(std), kLogvarMin, kLogvarMax);
  q.std = at::exp(0.5 * q.logvar);
  return q;
}

at::Tensor DiagonalGaussian::var() const {
  return std * std;
}

at::Tensor DiagonalGaussian::sample(c10::optional<at::Generator> generator) const {
  at::Tensor noise;
  if (generator.has_value()) {
    noise = at::randn(mean.sizes(), generator, mean.options().device(generator->device())).to(mean.device());
  } else {
    noise = at::randn(mean.sizes(), mean.options());
  }
  return mean + std * noise;
}

at::Tensor DiagonalGaussian::kl() const {
  return 0.5 * (mean.pow(2) + var() - 1.0 - logvar).sum({1, 2, 3});
}

}  // namespace latentlab::models
