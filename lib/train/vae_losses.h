// The reconstruction-side terms of the VAE loss (PAPER.md §4.1), with both reduction conventions:
//   mean (REPA-E, toolkit default)  pixel = mean_{b,c,h,w} ℓ(x − x̂)        lpips = mean_b LPIPS_b
//   sum  (LDM / VA-VAE)            pixel = (1/B) Σ_b Σ_{c,h,w} ℓ(x − x̂)   lpips = C·H·W · mean_b LPIPS_b
//                                  (LDM adds the per-image LPIPS to every pixel of the map it sums)
// with ℓ = |·| (l1) or (·)² (mse); KL = (1/B) Σ_b Σ_{c,h,w} ½(μ² + σ² − 1 − log σ²) in both.
#pragma once

#include <string>

#include <ATen/core/Tensor.h>

#include "models/autoencoder_kl_posterior.h"

namespace latentlab::train {

enum class Reduction { Mean, Sum };

at::Tensor pixel_loss(const at::Tensor& x, const at::Tensor& reconstruction, const std::string& kind,
                      Reduction reduction);
// per_image: (B) LPIPS distances of the pairs; chw = C·H·W of the images.
at::Tensor lpips_loss(const at::Tensor& per_image, int64_t chw, Reduction reduction);
at::Tensor kl_loss(const models::Posterior& posterior);

}  // namespace latentlab::train
