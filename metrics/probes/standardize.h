// Feature standardisation with training statistics, as sklearn's StandardScaler: x' = (x - mean) / std with
// the population (ddof 0) standard deviation; a constant feature keeps scale 1 (sklearn does the same).
// Statistics come from stats::RunningMoments (float64, batch-size independent).
#pragma once

#include <ATen/core/Tensor.h>

namespace latentlab::metrics {

struct Standardizer {
  at::Tensor mean;                              // (D) float64
  at::Tensor scale;                             // (D) float64, > 0
  at::Tensor apply(const at::Tensor& x) const;  // (N, D) -> (N, D) float64 on x's device
};

// x: (N, D), N >= 1, any floating dtype.
Standardizer fit_standardizer(const at::Tensor& x);

}  // namespace latentlab::metrics
