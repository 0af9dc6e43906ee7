#include "stats/running_moments.h"

#include <ATen/ATen.h>
#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)

#include "core/error.h"

namespace latentlab::stats {

RunningMoments::RunningMoments(int64_t dim, bool full_covariance) : dim_(dim), full_(full_covariance) {
  LATENTLAB_ASSERT(dim > 0, "dimension {} must be positive", dim);
  mean_ = at::zeros({dim}, at::kDouble);
  m2_ = full_ ? at::zeros({dim, dim}, at::kDouble) : at::zeros({dim}, at::kDouble);
}

void RunningMoments::update(const at::Tensor& batch) {
  if (batch.dim() != 2 || batch.size(1) != dim_)
    fail("features", "batch of shape [{}] does not match dimension {}", fmt::join(batch.sizes(), ", "), dim_);
  const int64_t n = batch.size(0);
  if (n == 0) return;
  const at::Tensor x = batch.to(at::kDouble);
  const at::Tensor batch_mean = x.mean(0);
  const at::Tensor centred = x - batch_mean;
  const at::Tensor batch_m2 = full_ ? at::matmul(centred.t(), centred) : centred.pow(2).sum(0);
  RunningMoments other(dim_, full_);
  other.count_ = n;
  other.mean_ = batch_mean;
  other.m2_ = batch_m2;
  merge(other);
}

void RunningMoments::merge(const RunningMoments& other) {
  LATENTLAB_ASSERT(other.dim_ == dim_ && other.full_ == full_, "merging moments of another kind");
  if (other.count_ == 0) return;
  const auto device = other.mean_.device();
  if (mean_.device() != device) mean_ = mean_.to(device), m2_ = m2_.to(device);
  if (count_ == 0) {
    count_ = other.count_;
    mean_ = other.mean_.clone();
    m2_ = other.m2_.clone();
    return;
  }
  const double na = static_cast<double>(count_), nb = static_cast<double>(other.count_), n = na + nb;
  const at::Tensor delta = other.mean_ - mean_;
  mean_ = mean_ + delta * (nb / n);
  m2_ = m2_ + other.m2_ + (full_ ? at::outer(delta, delta) : delta * delta) * (na * nb / n);
  count_ += other.count_;
}

at::Tensor RunningMoments::mean() const {
  return mean_.to(at::kCPU).clone();
}

at::Tensor RunningMoments::m2() const {
  return m2_.to(at::kCPU).clone();
}

at::Tensor RunningMoments::covariance() const {
  LATENTLAB_ASSERT(full_, "covariance of a diagonal accumulator");
  if (count_ < 2) fail("statistics", "a covariance needs at least 2 samples, have {}", count_);
  return (m2_ / static_cast<double>(count_ - 1)).to(at::kCPU);
}

at::Tensor RunningMoments::variance() const {
  if (count_ < 2) fail("statistics", "a variance needs at least 2 samples, have {}", count_);
  const at::Tensor diagonal = full_ ? m2_.diagonal() : m2_;
  return (diagonal / static_cast<double>(count_ - 1)).to(at::kCPU).clone();
}

RunningMoments RunningMoments::from_parts(int64_t count, const at::Tensor& mean, const at::Tensor& m2) {
  if (mean.dim() != 1 || count < 0)
    fail("statistics", "malformed moments (count {}, mean of shape [{}])", count, fmt::join(mean.sizes(), ", "));
  const bool full = m2.dim() == 2;
  RunningMoments out(mean.size(0), full);
  const bool shapes_ok = full ? (m2.size(0) == mean.size(0) && m2.size(1) == mean.size(0)) : m2.sizes() == mean.sizes();
  if (!shapes_ok)
    fail("statistics", "M2 of shape [{}] does not match mean of shape [{}]", fmt::join(m2.sizes(), ", "),
         fmt::join(mean.sizes(), ", "));
  out.count_ = count;
  out.mean_ = mean.to(at::kDouble).clone();
  out.m2_ = m2.to(at::kDouble).clone();
  return out;
}

}  // namespace latentlab::stats
