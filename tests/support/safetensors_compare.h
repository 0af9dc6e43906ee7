// Comparing two safetensors files in tests: the largest |a - b| over their float32 tensors, which must carry
// the same names in the same order (a mismatch fails the test).
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "io/safetensors.h"

namespace latentlab::testing {

inline double max_safetensors_difference(const std::string& a, const std::string& b) {
  const auto one = io::read_safetensors(a), two = io::read_safetensors(b);
  EXPECT_EQ(one.arrays.size(), two.arrays.size());
  double largest = 0;
  for (size_t i = 0; i < std::min(one.arrays.size(), two.arrays.size()); ++i) {
    const io::Array &x = one.arrays[i].second, &y = two.arrays[i].second;
    EXPECT_EQ(one.arrays[i].first, two.arrays[i].first);
    if (x.dtype != io::DType::F32 || x.numel() != y.numel()) continue;
    const auto* p = reinterpret_cast<const float*>(x.data);
    const auto* q = reinterpret_cast<const float*>(y.data);
    for (int64_t k = 0; k < x.numel(); ++k) largest = std::max(largest, std::abs(double(p[k]) - double(q[k])));
  }
  return largest;
}

}  // namespace latentlab::testing
