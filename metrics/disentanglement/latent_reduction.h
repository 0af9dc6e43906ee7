// Spatial latents (N, C, h, w) become the (N, J) code matrix the disentanglement scores take
// (docs/probes.md "latentlab disentangle"):
//   pool    (default) the mean over h x w per channel, J = C: one code per channel, the unit a VAE's
//           channels share across positions; position-specific structure is averaged out.
//   pca:N   flattened (C h w) latents projected on their top N principal components (covariance of the
//           rows given, float64 eigendecomposition, centred with their mean; component signs fixed so the
//           largest-magnitude loading is positive), J = N: keeps spatial structure at a stated size.
// (N, J) inputs pass through unchanged by `pool`; `pca:N` needs N <= C h w.
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace latentlab::metrics {

struct LatentReduction {
  std::string kind = "pool";  // pool | pca
  int64_t components = 0;     // pca only
  std::string to_string() const;
};

// "pool" or "pca:N" (N >= 1); UserError naming `subject` with the accepted forms otherwise.
LatentReduction parse_latent_reduction(const std::string& text, const std::string& subject);

struct ReducedCodes {
  at::Tensor codes;  // (N, J) float64
  nlohmann::json protocol;
  double explained_variance = 1.0;  // pca: share of the total variance kept
};

ReducedCodes reduce_latents(const at::Tensor& latents, const LatentReduction& reduction);

}  // namespace latentlab::metrics
