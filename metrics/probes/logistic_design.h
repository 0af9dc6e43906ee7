// The problem the L-BFGS of logistic_regression.cpp sees: the design X in preconditioned variables
// v = P^-1 w, and the two matrix products of every evaluation (logits and gradient), in float64 or, for
// the first phase of a large fit, float32. Internal to metrics/probes.
//
// Preconditioners (same optimum, far fewer L-BFGS steps; see docs/benchmarks.md). The Hessian of the
// logistic objective is X^T S X / N + lambda I with S <= 1/4, so P = (G/4 + lambda I)^(-1/2), G = X^T X / N,
// makes it close to the identity:
//   exact     (64 <= D <= precondition_max_dim): G by one product, eigh, X P formed once;
//   low_rank  (D above that, rank k > 0): a randomized Nystrom approximation G ~ U diag(L) U^T of rank k
//             (Frangella, Tropp & Udell, "Randomized Nystrom preconditioning", SIMAX 2023, Alg. 2.1), with
//             P = U diag((L/4 + lambda)^-1/2) U^T + (l_k/4 + lambda)^-1/2 (I - U U^T), applied to the
//             weights at each evaluation (D x k x C) instead of forming X P (N x D x D).
// Shapes: x (N, D) float64 on any device; theta (D + 1, C) = [W; b]; residual dL/dz (N, C).
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

#include "metrics/probes/logistic_regression.h"

namespace latentlab::metrics::detail {

struct LogisticDesign {
  enum class Preconditioning { none, exact, low_rank };
  Preconditioning kind = Preconditioning::none;
  at::Tensor x;    // X, or X P (exact), (N, D) float64
  at::Tensor x32;  // float32 copy of x for the first phase; undefined when the fit has none
  // exact: dense P, P^-1 and Q = P^2 (D, D).
  at::Tensor p, p_inverse, q;
  // low_rank: M = rest I + U diag(scale) U^T for M in {P, P^-1, Q}; u (D, k).
  at::Tensor u, p_scale, p_inverse_scale, q_scale;
  double p_rest = 1.0, p_inverse_rest = 1.0, q_rest = 1.0;

  bool has_float32_phase() const { return x32.defined(); }
  int64_t rank() const { return u.defined() ? u.size(1) : 0; }

  // z = X P v + b (N, C) float64, with the product in float32 when `float32`.
  at::Tensor logits(const at::Tensor& theta, bool float32) const;
  // Gradient of theta from dL/dz and the penalty's gradient in v (D, C).
  at::Tensor gradient(const at::Tensor& theta, const at::Tensor& residual, const at::Tensor& penalty_grad,
                      bool float32) const;
  // Q v, for the penalty |P v|^2 = v^T Q v.
  at::Tensor penalty_metric(const at::Tensor& v) const;
  at::Tensor to_v(const at::Tensor& w) const;  // P^-1 w (a warm start)
  at::Tensor to_w(const at::Tensor& v) const;  // P v (the solution)
};

// `lambda` = the smallest per-example penalty 1/(C N) of the fit.
LogisticDesign make_logistic_design(const at::Tensor& x, const LogisticOptions& options, double lambda);

}  // namespace latentlab::metrics::detail
