// L2-regularised logistic regression in float64, fitted to convergence with full-batch L-BFGS
// (own implementation, Armijo backtracking; torch::optim::LBFGS stops on its directional-derivative test
// long before a 1e-9 gradient). The objective is scikit-learn's (LogisticRegression,
// penalty "l2", solver "lbfgs"), so models compare one to one with it at the same C:
//   multinomial:    sum_i -log softmax(x_i W + b)_{y_i} + |W|^2 / (2C)          (W: D x C, b: C, b unpenalised)
//   binary heads:   for each head a independently, sum_i BCE(sigmoid(x_i w_a + b_a), t_ia) + |w_a|^2 / (2 C_a)
// The heads of a multi-label probe do not interact; fitting them in one optimisation (one matrix product
// per step for all heads) reaches the same per-head optima as fitting them one by one.
// Internally the objective is divided by N; `gradient_tolerance` bounds the largest gradient entry of that
// per-example objective. sklearn's own default (tol 1e-4, max_iter 100) often stops earlier than this.
// Shapes: x (N, D) float64 CPU (or any device: the fit runs where x lives); labels (N) int64 in [0, C);
// targets (N, A) float64 in {0, 1}.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace latentlab::metrics {

struct LogisticOptions {
  int max_iterations = 1000;
  double gradient_tolerance = 1e-9;
  int history = 20;
  // Preconditioning (logistic_design.h; same optimum, far fewer steps). Features with 64 <= D <= this get the
  // exact preconditioner; wider ones (D >= 64) a randomized Nystrom one of rank `low_rank_preconditioner`
  // (0: none). The gradient tolerance then applies to the preconditioned variables.
  int64_t precondition_max_dim = 4096;
  int64_t low_rank_preconditioner = 512;
  // Designs with at least this many entries (N x D; 0: never) first run L-BFGS with float32 matrix products
  // down to a largest gradient entry of `float32_tolerance` (or until float32 rounding stops progress), then
  // finish in float64 from there: the products are ~2x faster and the float64 phase alone decides where the
  // fit stops, so the optimum is the float64 one.
  int64_t float32_phase_min_size = int64_t{1} << 22;
  double float32_tolerance = 1e-5;
};

struct LogisticModel {
  at::Tensor weight;            // (D, C) float64; C = classes (multinomial) or heads (binary)
  at::Tensor bias;              // (C) float64
  bool multinomial = true;      // false: independent sigmoid heads
  int evaluations = 0;          // objective + gradient evaluations (both phases)
  int float32_evaluations = 0;  // of which with float32 products
  bool converged = false;       // largest gradient entry <= gradient_tolerance at the end
  double objective = 0.0;       // the per-example objective at the end (loss/N + penalty/N)

  at::Tensor decision(const at::Tensor& x) const;       // (N, C) logits
  at::Tensor probabilities(const at::Tensor& x) const;  // (N, C): softmax rows, or per-head sigmoids
  at::Tensor predict(const at::Tensor& x) const;        // (N) int64 argmax (multinomial)
};

// `warm_start` (same shapes) starts the optimiser from an earlier solution, e.g. the previous C of a path.
LogisticModel fit_multinomial_logistic(const at::Tensor& x, const at::Tensor& labels, int64_t num_classes, double c,
                                       const LogisticOptions& options = {}, const LogisticModel* warm_start = nullptr);
LogisticModel fit_binary_logistic_heads(const at::Tensor& x, const at::Tensor& targets, const std::vector<double>& c,
                                        const LogisticOptions& options = {}, const LogisticModel* warm_start = nullptr);

}  // namespace latentlab::metrics
