// Fréchet distance between two Gaussians, the core of FID, sFID and FD-DINOv2 (Heusel et al. 2017):
//
//   d^2 = |mu1 - mu2|^2 + tr S1 + tr S2 - 2 tr (S1 S2)^(1/2)
//
// The trace of the square root uses the symmetric method (../shared/docs/METRICS.md §3): with
// S1^(1/2) = V diag(sqrt(max(l, 0))) V^T from eigh(S1), A = S1^(1/2) S2 S1^(1/2) is symmetric positive
// semi-definite and has the eigenvalues of S1 S2, so tr (S1 S2)^(1/2) = sum sqrt(max(eigvalsh(A), 0)).
// Two symmetric float64 eigensolves; no complex numbers; rank-deficient covariances (fewer samples than
// dimensions) are handled by the clamping and never give NaN. Validated against scipy's sqrtm (the
// pytorch-fid/ADM oracle) on a Gaussian grid in tests/unit/metrics/frechet_test.cpp.
#pragma once

#include <ATen/core/Tensor.h>

namespace latentlab::metrics {

// tr (S1 S2)^(1/2) for symmetric positive semi-definite (D, D) matrices (any floating dtype; float64 used).
double trace_sqrt_product(const at::Tensor& sigma1, const at::Tensor& sigma2);

// mu: (D), sigma: (D, D). Throws UserError ("statistics") for mismatched shapes or non-finite values.
double frechet_distance(const at::Tensor& mu1, const at::Tensor& sigma1, const at::Tensor& mu2,
                        const at::Tensor& sigma2);

}  // namespace latentlab::metrics
