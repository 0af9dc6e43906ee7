// Equivariance of an autoencoder under spatial transforms τ (EQ-VAE, Kouzelis et al. 2025, arXiv 2502.09509,
// zelaki/eqvae; METRICS.md §13 "EQ-VAE equivariance" and "scale equivariance"). For images x in [−1, 1]
// and z = E(x) (the posterior mean), per transform:
//   decoder_mse   = Σ‖D(τ z) − τ x‖² / (elements of τ x)      the decoder of a transformed latent vs the
//                                                                transformed image (EQ-VAE's training target)
//   reference_mse = Σ‖D(E(τ x)) − τ x‖² / (elements of τ x)   reconstruction of the transformed image itself:
//                                                                what decoder_mse would be if E commuted with τ
//   latent_error  = Σ‖E(τ x) − τ z‖² / Σ‖τ z‖²                 relative latent error (EQ-VAE's latent term)
// Sums run over all images (float64), so results do not depend on the batch size.
// Transforms, each applied alone: scale:S (bilinear, align_corners=False, no antialias — F.interpolate's
// default as EQ-VAE uses it — to round(S·side)), rot:90|180|270 (counter-clockwise, torch.rot90 on the
// spatial dimensions). Defaults: scale:0.5, scale:0.25, rot:90, rot:180, rot:270.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace latentlab::metrics {

struct SpatialTransform {
  std::string name;    // "scale:0.5", "rot:90"
  double scale = 1.0;  // < 1: downsample
  int quarter_turns = 0;
  at::Tensor apply(const at::Tensor& maps) const;  // (N, C, H, W) -> transformed
};

// "scale:S" (0 < S < 1) or "rot:90|180|270", comma-separated; "default" = the five defaults. Errors name
// `subject` and list the forms.
std::vector<SpatialTransform> parse_spatial_transforms(const std::string& text, const std::string& subject);

using LatentMap = std::function<at::Tensor(const at::Tensor&)>;

class EquivarianceAccumulator {
 public:
  // encode: images (N, 3, H, W) in [−1, 1] -> latents (N, C, h, w); decode: the reverse.
  EquivarianceAccumulator(LatentMap encode, LatentMap decode, std::vector<SpatialTransform> transforms);
  void update(const at::Tensor& images);
  nlohmann::json finalize() const;  // {transform name: {decoder_mse, reference_mse, latent_error}, images}

 private:
  struct Sums {
    double decoder = 0, reference = 0, elements = 0, latent = 0, latent_norm = 0;
  };
  LatentMap encode_, decode_;
  std::vector<SpatialTransform> transforms_;
  std::vector<Sums> sums_;
  int64_t images_ = 0;
};

}  // namespace latentlab::metrics
