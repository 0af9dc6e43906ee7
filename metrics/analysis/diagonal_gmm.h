// Diagonal-covariance Gaussian mixtures fitted by EM: the "discrimination" / mixture-complexity measure that
// Send-VAE (§3.1, after MAETok, arXiv 2502.03444) shows does not track gFID (PAPER.md §11.1 and §13 row 24:
// experimental, labelled non-comparable — the paper gives no details). Reported per K: the mean
// log-likelihood per sample, NLL per dimension (−log-likelihood / D, nats) and BIC; the headline is the NLL
// per dimension at the K with the lowest BIC.
//
// EM follows scikit-learn's GaussianMixture(covariance_type="diag") exactly: E-step log-responsibilities,
// M-step with n_k = Σ resp + 10·eps, variances = E[x²] − 2μE[x] + μ² + reg_covar, convergence when the
// mean log-likelihood of the E-step changes by less than `tolerance`. Start: weights 1/K, means = K distinct
// rows drawn by std::mt19937_64(seed), every variance = the data's per-dimension variance + reg_covar.
// The steps run on CPU in float64 as two matrix products per iteration (diagonal_gmm_em.h).
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace latentlab::metrics {

struct GmmOptions {
  int64_t max_iterations = 100;
  double tolerance = 1e-3;  // scikit-learn's default tol
  double reg_covar = 1e-6;  // scikit-learn's default
  uint64_t seed = 0;
};

struct GmmParameters {
  at::Tensor weights;    // (K) float64
  at::Tensor means;      // (K, D)
  at::Tensor variances;  // (K, D)
};

struct GmmFit {
  GmmParameters parameters;
  double log_likelihood = 0.0;  // mean over rows, nats, with the final parameters
  double bic = 0.0;             // −2·n·log_likelihood + (2KD + K − 1)·ln n
  int64_t iterations = 0;
  bool converged = false;
};

// Mean log-likelihood of rows x (n, D) under `p`.
double gmm_mean_log_likelihood(const at::Tensor& x, const GmmParameters& p);

// EM from `start` (float64 rows x (n, D)).
GmmFit fit_diagonal_gmm(const at::Tensor& x, GmmParameters start, const GmmOptions& options);
// The seeded start described above; K <= n.
GmmParameters gmm_start(const at::Tensor& x, int64_t components, const GmmOptions& options);

// Fits every K of `components` to x and reports the curve and the BIC choice.
nlohmann::json gmm_sweep(const at::Tensor& x, const std::vector<int64_t>& components, const GmmOptions& options);

}  // namespace latentlab::metrics
