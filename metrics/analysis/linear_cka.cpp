#include "metrics/analysis/linear_cka.h"

#include <cmath>

#include <ATen/ATen.h>

#include "core/error.h"

namespace latentlab::metrics {
namespace {

// ‖AᵀB‖²_F in float64: in feature space (D1 × D2 accumulated over row chunks) when that is small, else as
// Σ_ij (a_i·a_j)(b_i·b_j) over row blocks of the Gram matrices (memory chunk × N).
double cross_frobenius(const at::Tensor& a, const at::Tensor& b, int64_t chunk) {
  const int64_t n = a.size(0);
  if (a.size(1) * b.size(1) <= (int64_t{1} << 24)) {
    auto m = at::zeros({a.size(1), b.size(1)}, a.options().dtype(at::kDouble));
    for (int64_t s = 0; s < n; s += chunk) {
      const int64_t e = std::min(n, s + chunk);
      m.addmm_(a.slice(0, s, e).to(at::kDouble).t(), b.slice(0, s, e).to(at::kDouble));
    }
    return m.pow(2).sum().item<double>();
  }
  const auto ad = a.to(at::kDouble), bd = b.to(at::kDouble);
  double total = 0.0;
  for (int64_t s = 0; s < n; s += chunk) {
    const int64_t e = std::min(n, s + chunk);
    total += (at::mm(ad.slice(0, s, e), ad.t()) * at::mm(bd.slice(0, s, e), bd.t())).sum().item<double>();
  }
  return total;
}

double hsic_plain(double cross, int64_t n) {
  return cross / std::pow(static_cast<double>(n - 1), 2);
}

double hsic_unbiased(double cross, const at::Tensor& kd, const at::Tensor& ld, const at::Tensor& krow,
                     const at::Tensor& lrow, int64_t n) {
  const double m = static_cast<double>(n);
  const double trace = cross - (kd * ld).sum().item<double>();  // Σ_{i≠j} K_ij L_ij
  const auto kt1 = krow - kd, lt1 = lrow - ld;                  // K̃1, L̃1
  const double sum_k = kt1.sum().item<double>(), sum_l = lt1.sum().item<double>();
  const double klt = (kt1 * lt1).sum().item<double>();  // 1ᵀK̃L̃1 (K̃ symmetric)
  return (trace + sum_k * sum_l / ((m - 1) * (m - 2)) - 2.0 * klt / (m - 2)) / (m * (m - 3));
}

}  // namespace

CkaResult linear_cka(const at::Tensor& x, const at::Tensor& y, int64_t chunk_rows) {
  LATENTLAB_ASSERT(x.dim() == 2 && y.dim() == 2 && x.size(0) == y.size(0), "CKA needs paired (N, D) matrices");
  const int64_t n = x.size(0);
  LATENTLAB_ASSERT(n >= 4, "CKA needs at least 4 rows, got {}", n);
  const auto xc = x.to(at::kDouble) - x.to(at::kDouble).mean(0, true);
  const auto yc = y.to(at::kDouble) - y.to(at::kDouble).mean(0, true);
  const double xy = cross_frobenius(xc, yc, chunk_rows), xx = cross_frobenius(xc, xc, chunk_rows),
               yy = cross_frobenius(yc, yc, chunk_rows);
  CkaResult out;
  out.plain = hsic_plain(xy, n) / std::sqrt(hsic_plain(xx, n) * hsic_plain(yy, n));
  const auto kd = xc.pow(2).sum(1), ld = yc.pow(2).sum(1);
  const auto krow = at::mv(xc, xc.sum(0)), lrow = at::mv(yc, yc.sum(0));
  const double kl = hsic_unbiased(xy, kd, ld, krow, lrow, n), kk = hsic_unbiased(xx, kd, kd, krow, krow, n),
               ll = hsic_unbiased(yy, ld, ld, lrow, lrow, n);
  out.debiased = kl / std::sqrt(kk * ll);
  return out;
}

}  // namespace latentlab::metrics
