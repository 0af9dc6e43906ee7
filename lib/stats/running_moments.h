// Float64 running mean and covariance of D-dimensional features, mergeable across batches, threads,
// processes and shards (Chan, Golub & LeVeque 1979: pairwise update of count, mean and the centred
// second-moment matrix M2). Results do not depend on the batch size beyond float64 rounding (~1e-15
// relative), unlike sums of x and x x^T, which lose digits when the mean is large relative to the spread.
// Covariance divides by N - 1 (numpy.cov's default, as pytorch-fid uses).
//
// Used for FID/sFID/FD-DINOv2 statistics (full covariance) and for per-channel latent statistics in the
// latent store (diagonal only).
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

namespace latentlab::stats {

class RunningMoments {
 public:
  // `full_covariance` keeps the D x D matrix; otherwise only the per-dimension variance.
  RunningMoments(int64_t dim, bool full_covariance);

  // batch: (N, D), any floating dtype, any device; accumulated in float64 on the batch's device.
  void update(const at::Tensor& batch);
  // Adds another accumulator's data (same dim and kind, any device).
  void merge(const RunningMoments& other);

  int64_t dim() const { return dim_; }
  bool full_covariance() const { return full_; }
  int64_t count() const { return count_; }
  at::Tensor mean() const;        // (D) float64, CPU
  at::Tensor covariance() const;  // (D, D) float64, CPU; needs full_covariance and count >= 2
  at::Tensor variance() const;    // (D) float64, CPU, N - 1 denominator; count >= 2
  // The raw accumulator, for saving and exact reloading: M2 is (D, D) or (D).
  at::Tensor m2() const;
  static RunningMoments from_parts(int64_t count, const at::Tensor& mean, const at::Tensor& m2);

 private:
  int64_t dim_;
  bool full_;
  int64_t count_ = 0;
  at::Tensor mean_;  // (D) float64
  at::Tensor m2_;    // (D, D) or (D) float64
};

}  // namespace latentlab::stats
