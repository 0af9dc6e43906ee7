// k-nearest-neighbour alignment between two representations of the same N examples (Huh et al. 2024,
// "The Platonic Representation Hypothesis"; minyoungg/platonic-rep `metrics.py`, METRICS.md §13).
//
// Neighbours: the k rows with the largest inner product x_i·x_j, j ≠ i (platonic-rep fills the Gram
// diagonal with −inf / −1e8; `analyze` L2-normalises rows first, as platonic-rep's measure_alignment does,
// so this is cosine similarity). The Gram matrix is never held: row blocks of `chunk_rows` × N are formed
// in float64 on the features' device (GPU when they are there) and reduced to their top k.
//   mutual k-NN = mean_i |N_A(i) ∩ N_B(i)| / k
//   CKNNA = HSIC_u(M∘K, M∘L) / (√(HSIC_u(M_K∘K, M_K∘K)·HSIC_u(M_L∘L, M_L∘L)) + ε), where M_K(i, j) = 1 when
//           j ∈ N_K(i), M = M_K∘M_L, HSIC_u the unbiased estimator of linear_cka.h, ε = 1e-6 (platonic-rep's
//           `cknna(..., unbiased=True)`). The masked matrices have at most k entries per row, so the HSIC
//           sums run over the N·k neighbour pairs.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace latentlab::metrics {

inline constexpr int64_t kAlignmentNeighbours = 10;  // k of platonic-rep's defaults
inline constexpr double kCknnaEpsilon = 1e-6;        // platonic-rep's denominator guard

struct Neighbours {
  at::Tensor index;       // (N, k) int64 CPU: the k nearest rows of each row, most similar first
  at::Tensor similarity;  // (N, k) float64 CPU: x_i·x_j of those rows
};

// x (N, D), N > k. Ties go to whichever at::topk returns.
Neighbours inner_product_neighbours(const at::Tensor& x, int64_t k, int64_t chunk_rows = 1024);

double mutual_knn(const Neighbours& a, const Neighbours& b);
double cknna(const Neighbours& a, const Neighbours& b, double epsilon = kCknnaEpsilon);

}  // namespace latentlab::metrics
