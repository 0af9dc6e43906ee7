// Comparing tensors in tests: the largest absolute difference, in float64, on the CPU, after checking that the
// shapes agree (a shape mismatch fails the test and returns a huge difference, so tolerances fail too).
#pragma once

#include <algorithm>

#include <gtest/gtest.h>

#include <ATen/ATen.h>

namespace latentlab::testing {

inline double max_abs_diff(const at::Tensor& got, const at::Tensor& want) {
  EXPECT_EQ(got.sizes(), want.sizes());
  if (got.sizes() != want.sizes()) return 1e30;
  return (got.to(at::kCPU, at::kDouble) - want.to(at::kCPU, at::kDouble)).abs().max().item<double>();
}

// max_abs_diff relative to the largest |want| (an all-zero `want` counts as 1e-30).
inline double max_relative_diff(const at::Tensor& got, const at::Tensor& want) {
  return max_abs_diff(got, want) / std::max(1e-30, want.to(at::kCPU, at::kDouble).abs().max().item<double>());
}

}  // namespace latentlab::testing
