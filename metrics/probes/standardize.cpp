#include "metrics/probes/standardize.h"

#include <ATen/ATen.h>

#include "core/error.h"
#include "stats/running_moments.h"

namespace latentlab::metrics {

Standardizer fit_standardizer(const at::Tensor& x) {
  LATENTLAB_ASSERT(x.dim() == 2 && x.size(0) >= 1, "standardizer needs an (N, D) matrix");
  stats::RunningMoments moments(x.size(1), /*full_covariance=*/false);
  moments.update(x);
  Standardizer s;
  s.mean = moments.mean();
  const int64_t n = moments.count();
  // RunningMoments divides by N - 1; StandardScaler by N.
  s.scale = n >= 2 ? (moments.variance() * (static_cast<double>(n - 1) / n)).sqrt() : at::ones_like(s.mean);
  // sklearn _handle_zeros_in_scale: scales below 10 eps count as constant features.
  s.scale = at::where(s.scale < 10 * 2.220446049250313e-16, at::ones_like(s.scale), s.scale);
  return s;
}

at::Tensor Standardizer::apply(const at::Tensor& x) const {
  const auto dev = x.device();
  return (x.to(at::kDouble) - mean.to(dev)) / scale.to(dev);
}

}  // namespace latentlab::metrics
