// Fréchet distance between two Gaussians, the core of FID, sFID and FD-DINOv2 (Heusel et al. 2017):
//
//   d^2 = |mu1 - mu2|^2 + tr S1 + tr S2 - 2 tr (S1 S2)^(1/2)
//
// Only the trace of the square root is needed; it is sum sqrt(lambda_i(S1 S2)), and two exact float64 routes
// compute the eigenvalues of S1 S2 as those of a symmetric matrix similar to it (no complex numbers, never NaN):
//
//   cholesky-eigvalsh (fast, used when one covariance is safely positive definite): S = L L^T, then
//       L^T S' L (S' the other covariance) is symmetric PSD and similar to S S'. One Cholesky, two products
//       that skip the zero triangle of L, one eigenvalues-only solve.
//   symmetric-eigh (fallback, any PSD input; ../shared/docs/METRICS.md §3): S1^(1/2) = V diag(sqrt(max(l, 0)))
//       V^T from eigh(S1), A = S1^(1/2) S2 S1^(1/2), eigvalsh(A). Rank-deficient covariances (fewer samples
//       than dimensions) are handled by clamping eigenvalues below the numerical rank to zero.
//
// The choice is explained in frechet.cpp (choose_factor). Both routes are validated against scipy's sqrtm
// (the pytorch-fid/ADM oracle) on a Gaussian grid and against each other in tests/unit/metrics/frechet_test.cpp.
#pragma once

#include <ATen/core/Tensor.h>

namespace latentlab::metrics {

enum class TraceSqrtRoute { CholeskyEigvalsh, SymmetricEigh };

const char* route_name(TraceSqrtRoute route);  // "cholesky-eigvalsh", "symmetric-eigh"

// How tr (S1 S2)^(1/2) was computed (for logs, results and tests).
struct FrechetDetails {
  TraceSqrtRoute route = TraceSqrtRoute::SymmetricEigh;
  int factored = 0;  // the covariance Cholesky-factored on the fast route: 1 or 2; 0 on the fallback
  // min_j L_jj^2 / max_i S_ii of each covariance's Cholesky factor (a lower bound of 1 / cond(S)); -1 where
  // the factorisation failed (not positive definite in float64) or was not tried (S2 when S1 passed).
  double pivot_ratio1 = -1, pivot_ratio2 = -1;
};

// tr (S1 S2)^(1/2) for symmetric positive semi-definite (D, D) matrices (any floating dtype; float64 used).
// Takes the fast route where it is safe; `details`, when given, says which route was taken.
double trace_sqrt_product(const at::Tensor& sigma1, const at::Tensor& sigma2, FrechetDetails* details = nullptr);

// The symmetric-eigh route alone (the fallback; the slow exact path the fast one is tested against).
double trace_sqrt_product_symmetric(const at::Tensor& sigma1, const at::Tensor& sigma2);

// mu: (D), sigma: (D, D). Throws UserError ("statistics") for mismatched shapes or non-finite values.
double frechet_distance(const at::Tensor& mu1, const at::Tensor& sigma1, const at::Tensor& mu2,
                        const at::Tensor& sigma2, FrechetDetails* details = nullptr);

}  // namespace latentlab::metrics
