#include "metrics/disentanglement/lasso.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace latentlab::metrics {

LassoFit fit_lasso(const at::Tensor& x, const std::vector<double>& y, double alpha, double tolerance, int max_sweeps) {
  LATENTLAB_ASSERT(x.dim() == 2 && x.scalar_type() == at::kDouble && x.is_contiguous() && x.device().is_cpu(),
                   "lasso: x must be a contiguous CPU float64 matrix");
  const int64_t n = x.size(0), d = x.size(1);
  LATENTLAB_ASSERT(static_cast<int64_t>(y.size()) == n && n > 0, "lasso: y size");
  // Column-major centred copy: coordinate descent walks columns.
  std::vector<double> xc(n * d), mean_x(d, 0.0), norm2(d, 0.0);
  const double* px = x.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) mean_x[j] += px[i * d + j];
  for (auto& m : mean_x) m /= n;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) xc[j * n + i] = px[i * d + j] - mean_x[j];
  for (int64_t j = 0; j < d; ++j)
    for (int64_t i = 0; i < n; ++i) norm2[j] += xc[j * n + i] * xc[j * n + i];
  double mean_y = 0.0;
  for (double v : y) mean_y += v;
  mean_y /= n;
  std::vector<double> r(n);  // residual y_c - X_c w
  double y_norm2 = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    r[i] = y[i] - mean_y;
    y_norm2 += r[i] * r[i];
  }
  LassoFit fit;
  fit.coef.assign(d, 0.0);
  auto& w = fit.coef;
  const double l1 = alpha * n;  // the objective times N: 1/2 |r|^2 + alpha N |w|_1
  for (fit.sweeps = 1; fit.sweeps <= max_sweeps; ++fit.sweeps) {
    for (int64_t j = 0; j < d; ++j) {
      if (norm2[j] == 0.0) continue;
      const double* col = &xc[j * n];
      double rho = 0.0;
      for (int64_t i = 0; i < n; ++i) rho += col[i] * r[i];
      rho += w[j] * norm2[j];
      const double updated = std::copysign(std::max(std::abs(rho) - l1, 0.0), rho) / norm2[j];
      const double delta = updated - w[j];
      if (delta != 0.0) {
        for (int64_t i = 0; i < n; ++i) r[i] -= delta * col[i];
        w[j] = updated;
      }
    }
    // Duality gap (sklearn's enet_coordinate_descent): dual point r * min(1, l1 / |X^T r|_inf).
    double xtr_max = 0.0, r_norm2 = 0.0, w_l1 = 0.0, ry = 0.0;
    for (int64_t j = 0; j < d; ++j) {
      double dot = 0.0;
      for (int64_t i = 0; i < n; ++i) dot += xc[j * n + i] * r[i];
      xtr_max = std::max(xtr_max, std::abs(dot));
      w_l1 += std::abs(w[j]);
    }
    for (int64_t i = 0; i < n; ++i) {
      r_norm2 += r[i] * r[i];
      ry += r[i] * (y[i] - mean_y);
    }
    const double scale = xtr_max > l1 ? l1 / xtr_max : 1.0;
    const double gap = 0.5 * r_norm2 * (1 + scale * scale) + l1 * w_l1 - scale * ry;
    if (gap <= tolerance * std::max(y_norm2, 1e-300)) {
      fit.converged = true;
      break;
    }
  }
  fit.intercept = mean_y;
  for (int64_t j = 0; j < d; ++j) fit.intercept -= mean_x[j] * w[j];
  return fit;
}

}  // namespace latentlab::metrics
