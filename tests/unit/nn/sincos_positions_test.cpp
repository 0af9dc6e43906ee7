// nn::sincos_2d_positions (lib/nn/sincos_positions.cpp) against the closed form written out by hand: width 8
// (quarter 2, ω = 1 and 1/100), a 2 × 3 grid in row-major order, column first.
#include "nn/sincos_positions.h"

#include <cmath>

#include <gtest/gtest.h>

#include <ATen/ATen.h>

namespace latentlab::nn {
namespace {

TEST(SincosPositionsTest, MatchesTheClosedFormColumnFirst) {
  const at::Tensor pe = sincos_2d_positions(8, 2, 3, at::kDouble);
  ASSERT_EQ(pe.sizes(), at::IntArrayRef({6, 8}));
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j) {
      const double want[8] = {std::sin(j), std::sin(j / 100.0), std::cos(j), std::cos(j / 100.0),
                              std::sin(i), std::sin(i / 100.0), std::cos(i), std::cos(i / 100.0)};
      for (int c = 0; c < 8; ++c) EXPECT_NEAR(pe[i * 3 + j][c].item<double>(), want[c], 1e-15) << i << j << c;
    }
  EXPECT_EQ(sincos_2d_positions(8, 2, 3, at::kFloat).scalar_type(), at::kFloat);
}

}  // namespace
}  // namespace latentlab::nn
