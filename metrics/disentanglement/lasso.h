// Lasso by cyclic coordinate descent, scikit-learn's objective (sklearn.linear_model.Lasso, fit_intercept):
//   min_{w, b}  1/(2N) |y - X w - b|^2 + alpha |w|_1
// X is centred internally (b = mean(y) - mean(X) w). Iterates until the duality gap, divided by |y_c|^2/N,
// falls below `tolerance` (sklearn uses the same gap test with tol 1e-4). Shapes: x (N, D) float64 CPU
// contiguous, y (N) float64. Used for DCI importances (dci.h).
#pragma once

#include <vector>

#include <ATen/core/Tensor.h>

namespace latentlab::metrics {

struct LassoFit {
  std::vector<double> coef;  // (D)
  double intercept = 0.0;
  int sweeps = 0;
  bool converged = false;
};

LassoFit fit_lasso(const at::Tensor& x, const std::vector<double>& y, double alpha, double tolerance = 1e-10,
                   int max_sweeps = 100000);

}  // namespace latentlab::metrics
