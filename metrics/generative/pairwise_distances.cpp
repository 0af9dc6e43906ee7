#include "metrics/generative/pairwise_distances.h"

#include <algorithm>
#include <limits>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)

#include "core/error.h"

namespace latentlab::metrics {
namespace {

void check_options(const DistanceOptions& options) {
  if (options.block_size < 1) fail_usage("block size", "must be positive, got {}", options.block_size);
  if (options.dtype != at::kFloat && options.dtype != at::kDouble)
    fail_usage("distance dtype", "must be float32 or float64, got {}", c10::toString(options.dtype));
}

void check_features(const at::Tensor& f, const char* name) {
  if (f.dim() != 2 || f.size(1) < 1) fail(name, "expected shape [N, D], got [{}]", fmt::join(f.sizes(), ", "));
  if (!at::isFloatingType(f.scalar_type()))
    fail(name, "expected floating values, got {}", c10::toString(f.scalar_type()));
}

// Squared norms summed in float64, rounded to `dtype`; converted 4096 rows at a time, so that float32
// features never exist as a whole float64 copy (50k x 2048 would be 0.8 GB).
at::Tensor squared_norms(const at::Tensor& f, c10::ScalarType dtype) {
  std::vector<at::Tensor> parts;
  for (int64_t r = 0; r < f.size(0); r += 4096)
    parts.push_back(f.slice(0, r, std::min(f.size(0), r + 4096)).to(at::kDouble).pow(2).sum(1).to(dtype));
  return parts.empty() ? at::zeros({0}, f.options().dtype(dtype)) : at::cat(parts);
}

at::Tensor distances_from_norms(const at::Tensor& u, const at::Tensor& nu, const at::Tensor& v, const at::Tensor& nv) {
  at::Tensor d = at::matmul(u, v.t());
  d.mul_(-2).add_(nu.unsqueeze(1)).add_(nv.unsqueeze(0)).clamp_min_(0);
  return d;
}

}  // namespace

at::Tensor squared_distances(const at::Tensor& u, const at::Tensor& v, c10::ScalarType dtype) {
  check_features(u, "features");
  check_features(v, "features");
  if (u.size(1) != v.size(1)) fail("features", "dimensions differ: {} and {}", u.size(1), v.size(1));
  const at::Tensor a = u.to(dtype), b = v.to(a.device(), dtype);
  return distances_from_norms(a, squared_norms(u, dtype), b, squared_norms(b, dtype));
}

void for_each_distance_block(const at::Tensor& a, const at::Tensor& b, const DistanceOptions& options,
                             const std::function<void(int64_t, int64_t, const at::Tensor&)>& visit) {
  check_options(options);
  check_features(a, "features");
  check_features(b, "features");
  if (a.size(1) != b.size(1)) fail("features", "dimensions differ: {} and {}", a.size(1), b.size(1));
  const at::Tensor fa = a.to(options.dtype).contiguous(), fb = b.to(a.device(), options.dtype).contiguous();
  const at::Tensor na = squared_norms(a, options.dtype), nb = squared_norms(b.to(a.device()), options.dtype);
  const int64_t n = fa.size(0), m = fb.size(0), step = options.block_size;
  for (int64_t r = 0; r < n; r += step) {
    const int64_t r_end = std::min(n, r + step);
    const at::Tensor u = fa.slice(0, r, r_end), nu = na.slice(0, r, r_end);
    for (int64_t c = 0; c < m; c += step) {
      const int64_t c_end = std::min(m, c + step);
      visit(r, c, distances_from_norms(u, nu, fb.slice(0, c, c_end), nb.slice(0, c, c_end)));
    }
  }
}

at::Tensor knn_radii(const at::Tensor& f, const std::vector<int64_t>& ks, const DistanceOptions& options) {
  check_features(f, "features");
  LATENTLAB_ASSERT(!ks.empty(), "no neighbourhood sizes");
  const int64_t k_max = *std::max_element(ks.begin(), ks.end());
  if (*std::min_element(ks.begin(), ks.end()) < 1) fail_usage("k", "neighbourhood sizes must be >= 1");
  const int64_t n = f.size(0), keep = k_max + 1;
  if (n < keep) fail("features", "{} rows cannot give a {}-th nearest neighbour (need >= {})", n, k_max, keep);
  // Per row, the `keep` smallest distances seen so far (ascending).
  at::Tensor nearest = at::full({n, keep}, std::numeric_limits<double>::infinity(), f.options().dtype(options.dtype));
  for_each_distance_block(f, f, options, [&](int64_t r, int64_t c, const at::Tensor& block) {
    at::Tensor d = block;
    // The diagonal (a row against itself) is exactly 0, whatever the rounding of |u|^2 - 2 u.u + |u|^2.
    const int64_t lo = std::max(r, c), hi = std::min(r + d.size(0), c + d.size(1));
    if (lo < hi) d.diagonal(r - c).slice(0, 0, hi - lo).zero_();
    const int64_t take = std::min(keep, d.size(1));
    const at::Tensor block_nearest = std::get<0>(at::topk(d, take, 1, /*largest=*/false, /*sorted=*/true));
    const at::Tensor rows = nearest.slice(0, r, r + d.size(0));
    rows.copy_(std::get<0>(at::topk(at::cat({rows, block_nearest}, 1), keep, 1, false, true)));
  });
  std::vector<at::Tensor> columns;
  for (int64_t k : ks) columns.push_back(nearest.select(1, k));
  return at::stack(columns, 1);
}

}  // namespace latentlab::metrics
