// Blocked squared Euclidean distances for k-NN metrics (precision/recall, density/coverage), with memory
// bounded by the block size instead of N x M: a block of R x C distances is
//
//   D = max(|u|^2 - 2 u.v + |v|^2, 0)   (one GEMM, at::matmul on the features' device)
//
// in `dtype`: float32 (the toolkit default, as ADM's fp32 fallback and StyleGAN2-ADA; norms are summed in
// float64 then rounded) or float64 (exact to ~1e-16 relative). ADM's 10,000 x 10,000 blocks are the default:
// about 0.4 GB per float32 block (masks are made 1024 rows at a time), so 50k x 50k runs in well
// under 4 GB besides the features themselves. Squared and plain distances give identical k-NN decisions,
// so nothing takes a square root. ../shared/docs/METRICS.md §7.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>

namespace latentlab::metrics {

struct DistanceOptions {
  int64_t block_size = 10000;           // rows and columns per block
  c10::ScalarType dtype = c10::kFloat;  // kFloat or kDouble
};

// Squared distances between the rows of u (R, D) and v (C, D): (R, C) in `dtype` on u's device.
at::Tensor squared_distances(const at::Tensor& u, const at::Tensor& v, c10::ScalarType dtype);

// Calls visit(row_begin, col_begin, block) for every block of squared distances between the rows of a (N, D)
// and b (M, D), row blocks outermost. Features are converted to `dtype` once.
void for_each_distance_block(const at::Tensor& a, const at::Tensor& b, const DistanceOptions& options,
                             const std::function<void(int64_t, int64_t, const at::Tensor&)>& visit);

// For each k in ks, the squared distance of every row of f (N, D) to its k-th nearest other row: the
// (k + 1)-th smallest entry of its distance row with itself included at distance 0. Returns (N, ks.size())
// in options.dtype on f's device. Throws UserError when N <= max k.
at::Tensor knn_radii(const at::Tensor& f, const std::vector<int64_t>& ks, const DistanceOptions& options = {});

}  // namespace latentlab::metrics
