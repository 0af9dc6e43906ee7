#include "train/vae_losses.h"

#include <ATen/ATen.h>

namespace latentlab::train {

at::Tensor pixel_loss(const at::Tensor& x, const at::Tensor& reconstruction, const std::string& kind,
                      Reduction reduction) {
  const at::Tensor diff = x.to(at::kFloat) - reconstruction.to(at::kFloat);
  const at::Tensor map = kind == "mse" ? diff.pow(2) : diff.abs();
  return reduction == Reduction::Mean ? map.mean() : map.sum() / static_cast<double>(x.size(0));
}

at::Tensor lpips_loss(const at::Tensor& per_image, int64_t chw, Reduction reduction) {
  const at::Tensor mean = per_image.to(at::kFloat).mean();
  return reduction == Reduction::Mean ? mean : mean * static_cast<double>(chw);
}

at::Tensor kl_loss(const models::Posterior& posterior) {
  return posterior.kl().to(at::kFloat).mean();
}

}  // namespace latentlab::train
