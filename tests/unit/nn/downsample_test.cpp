// nn::Downsample (lib/nn/downsample.cpp): conv taps that pick known input pixels show the (0, 1, 0, 1) padding
// and the stride; exact comparisons.
#include "nn/downsample.h"

#include <gtest/gtest.h>

#include <set>

#include <ATen/ATen.h>

#include "module_test_util.h"

namespace latentlab::nn {
namespace {

using testing::copy_tap;
using testing::parameter_names;

TEST(DownsampleTest, PadsRightAndBottomThenStridesByTwo) {
  Downsample down(32);
  auto x = at::randn({1, 32, 6, 8});
  EXPECT_EQ(parameter_names(*down), (std::set<std::string>{"conv.weight", "conv.bias"}));
  auto conv = down->named_children()[0].value();  // "conv"
  copy_tap(*conv, 0, 0);                          // top-left tap: x[2i, 2j]
  auto out = down->forward(x);
  EXPECT_EQ(out.sizes(), at::IntArrayRef({1, 32, 3, 4}));
  EXPECT_TRUE(at::equal(out, x.slice(2, 0, 6, 2).slice(3, 0, 8, 2)));
  copy_tap(*conv, 2, 2);  // bottom-right tap: x[2i+2, 2j+2], zero padding past the last row and column
  out = down->forward(x);
  EXPECT_TRUE(at::equal(out.slice(2, 0, 2).slice(3, 0, 3), x.slice(2, 2, 6, 2).slice(3, 2, 8, 2)));
  EXPECT_EQ(out.select(2, 2).abs().max().item<float>(), 0.0f);
  EXPECT_EQ(out.select(3, 3).abs().max().item<float>(), 0.0f);
  EXPECT_EQ(down->forward(at::randn({1, 32, 7, 5})).sizes(), at::IntArrayRef({1, 32, 3, 2}));  // floor(H/2)
}

}  // namespace
}  // namespace latentlab::nn
