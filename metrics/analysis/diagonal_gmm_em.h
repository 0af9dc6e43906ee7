// The E- and M-step of diagonal_gmm.h's EM on CPU, as two matrix products per iteration plus one fused row loop.
//
// For a diagonal Gaussian, log w_k + log N(x | μ_k, σ²_k) = [x, x², 1] · W_k with W_k = (μ_k/σ²_k, −1/(2σ²_k),
// log w_k − ½ (D ln 2π + Σ_d ln σ²_kd + Σ_d μ²_kd/σ²_kd)): scikit-learn's own expanded form for 'diag'
// (_estimate_log_gaussian_prob), so it shares its rounding when |x| ≫ σ. The E-step is one GEMM of the rows
// augmented once per fit, (n, 2D + 1), by W (2D + 1, K), then a per-row logsumexp and exp; the M-step is one
// GEMM Rᵀ [x, x², 1], (K, 2D + 1), whose columns are Σ r x, Σ r x² and n_k. The per-iteration ATen element-wise
// passes over (n, K) this replaces cost more than the products on Debian's LibTorch 1.13 (docs/benchmarks.md).
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

#include "metrics/analysis/diagonal_gmm.h"

namespace latentlab::metrics {

class DiagonalGmmEm {
 public:
  // x: (n, D) CPU float64 rows; buffers are sized for K components and reused across iterations.
  DiagonalGmmEm(const at::Tensor& x, int64_t components);

  // Mean over rows of log Σ_k w_k N(x_i | μ_k, σ²_k) under `p` (CPU float64, K components). With
  // `responsibilities`, also leaves the posterior of each component per row for m_step.
  double e_step(const GmmParameters& p, bool responsibilities);
  // scikit-learn's M-step from the last e_step's responsibilities: n_k = Σ_i r_ik + 10·eps, means, variances
  // E[x²] − 2μE[x] + μ² + reg_covar, weights n_k / Σ n_k. Overwrites `p` (CPU float64).
  void m_step(GmmParameters& p, double reg_covar);

 private:
  void set_coefficients(const GmmParameters& p);

  int64_t n_, d_, k_;
  at::Tensor rows_;          // (n, 2D + 1): x, x², 1
  at::Tensor coefficients_;  // (2D + 1, K): W
  at::Tensor log_prob_;      // (n, K): log p(x_i, k), then the responsibilities
  at::Tensor log_norm_;      // (n): log p(x_i)
  at::Tensor sums_;          // (K, 2D + 1): Rᵀ rows
};

}  // namespace latentlab::metrics
