// Patch-level k-NN alignment between spatial latents and a teacher's patch tokens: REPA-E's CKNNA variant
// (arXiv 2504.10483v3; METRICS.md §13: DINOv2 patch features vs bilinearly resized, L2-normalised VAE
// latents). Per image i:
//   A_i = the latent map (C, h, w) resized bilinearly (align_corners=False, no antialias) to the teacher's
//         g_h x g_w patch grid, one row per position (row-major), (g_h·g_w, C);
//   B_i = the image's patch tokens (T, D), T = g_h·g_w in the same row-major order;
//   rows of both L2-normalised (unless `normalize_rows` is false); CKNNA and mutual k-NN (knn_alignment.h,
//   k neighbours among the image's own T tokens, self excluded).
// Reported: the means over images (and their standard deviations). Neighbours are searched within each image,
// not across images: the measure asks whether the latent's spatial structure matches the teacher's, and the
// cost stays N·T² instead of (N·T)². The paper's exact pooling across images is not published; this choice
// is stated in the result.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace latentlab::metrics {

struct PatchAlignment {
  double cknna = 0.0, cknna_std = 0.0;
  double mutual_knn = 0.0, mutual_knn_std = 0.0;
  int64_t images = 0, grid_h = 0, grid_w = 0, neighbours = 0;
  bool normalize_rows = true;
  nlohmann::json to_json() const;
};

// latents (N, C, h, w); tokens (N, T, D) with T = grid_h · grid_w (grid_h = grid_w = sqrt(T) when 0);
// T > k. Any floating dtype and device; computed in float64.
PatchAlignment patch_alignment(const at::Tensor& latents, const at::Tensor& tokens, int64_t k,
                               bool normalize_rows = true, int64_t grid_h = 0, int64_t grid_w = 0);

}  // namespace latentlab::metrics
