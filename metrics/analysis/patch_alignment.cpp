#include "metrics/analysis/patch_alignment.h"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>

#include "core/error.h"
#include "metrics/analysis/knn_alignment.h"

namespace latentlab::metrics {

PatchAlignment patch_alignment(const at::Tensor& latents, const at::Tensor& tokens, int64_t k, bool normalize_rows,
                               int64_t grid_h, int64_t grid_w) {
  if (latents.dim() != 4) fail("latents", "patch alignment needs (N, C, h, w) latent maps");
  if (tokens.dim() != 3) fail("--teacher", "patch alignment needs (N, tokens, features) patch tokens");
  const int64_t n = latents.size(0), t = tokens.size(1);
  if (tokens.size(0) != n) fail("--teacher", "has {} rows but the latents have {}", tokens.size(0), n);
  if (grid_h == 0 || grid_w == 0) {
    grid_h = grid_w = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(t))));
    if (grid_h * grid_w != t) fail("--teacher", "{} tokens per image are not a square patch grid", t);
  }
  if (grid_h * grid_w != t) fail("--teacher", "{} tokens per image are not a {}x{} grid", t, grid_h, grid_w);
  if (t <= k) fail("--neighbours", "k = {} needs more than k tokens per image ({})", k, t);
  if (t < 4) fail("--teacher", "patch alignment needs at least 4 tokens per image, got {}", t);

  PatchAlignment r;
  r.images = n, r.grid_h = grid_h, r.grid_w = grid_w, r.neighbours = k, r.normalize_rows = normalize_rows;
  auto unit_rows = [&](const at::Tensor& x) { return normalize_rows ? x / x.norm(2, {1}, true).clamp_min(1e-12) : x; };
  double sum_c = 0, sum_c2 = 0, sum_m = 0, sum_m2 = 0;
  for (int64_t i = 0; i < n; ++i) {
    const auto map = at::upsample_bilinear2d(latents.narrow(0, i, 1).to(at::kDouble), {grid_h, grid_w},
                                             /*align_corners=*/false);
    const auto a = unit_rows(map[0].reshape({map.size(1), t}).t().contiguous());
    const auto b = unit_rows(tokens[i].to(at::kDouble).contiguous());
    const auto na = inner_product_neighbours(a, k, t), nb = inner_product_neighbours(b, k, t);
    const double c = cknna(na, nb), m = mutual_knn(na, nb);
    sum_c += c, sum_c2 += c * c, sum_m += m, sum_m2 += m * m;
  }
  const double count = static_cast<double>(n);
  r.cknna = sum_c / count;
  r.mutual_knn = sum_m / count;
  r.cknna_std = std::sqrt(std::max(0.0, sum_c2 / count - r.cknna * r.cknna));
  r.mutual_knn_std = std::sqrt(std::max(0.0, sum_m2 / count - r.mutual_knn * r.mutual_knn));
  return r;
}

nlohmann::json PatchAlignment::to_json() const {
  return {{"cknna", cknna},
          {"cknna_std", cknna_std},
          {"mutual_knn", mutual_knn},
          {"mutual_knn_std", mutual_knn_std},
          {"images", images},
          {"grid", {grid_h, grid_w}},
          {"neighbours", neighbours},
          {"protocol",
           {{"latents", "bilinear resize (align_corners=False) to the teacher's patch grid, one row per position"},
            {"rows_l2_normalised", normalize_rows},
            {"neighbours_within", "each image's own tokens, self excluded"},
            {"aggregate", "mean (and population std) over images"},
            {"cknna", "platonic-rep cknna(unbiased=True), epsilon 1e-6"}}}};
}

}  // namespace latentlab::metrics
