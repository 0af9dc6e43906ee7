// Linear centred kernel alignment between two representations of the same N examples (Kornblith et al.
// 2019; the estimators of minyoungg/platonic-rep `metrics.py`, METRICS.md §13). With K = XXᵀ, L = YYᵀ:
//   plain (biased, the toolkit's headline):  HSIC = tr(KHLH)/(n − 1)², H = I − 11ᵀ/n
//   debiased (Song et al. 2012 U-statistic): K̃, L̃ = K, L with zero diagonals,
//     HSIC_u = [tr(K̃L̃) + (1ᵀK̃1)(1ᵀL̃1)/((n−1)(n−2)) − 2/(n−2)·1ᵀK̃L̃1] / (n(n−3))
//   CKA = HSIC(K, L) / √(HSIC(K, K)·HSIC(L, L)).
// Neither Gram matrix is formed: every term is a feature-space sum (‖XᵀY‖²_F, row norms, column sums),
// accumulated in float64 over row chunks on the inputs' device (GPU when the features are there). Both
// estimators are invariant to orthogonal transforms and isotropic scaling of either side, and HSIC_u also to
// shifts, so the features are centred first for accuracy.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace latentlab::metrics {

struct CkaResult {
  double plain = 0.0;     // biased HSIC
  double debiased = 0.0;  // unbiased HSIC (needs n >= 4)
};

// x (N, D1), y (N, D2): paired rows, same device, any floating dtype. N >= 4.
CkaResult linear_cka(const at::Tensor& x, const at::Tensor& y, int64_t chunk_rows = 2048);

}  // namespace latentlab::metrics
