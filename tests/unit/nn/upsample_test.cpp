// nn::Upsample (lib/nn/upsample.cpp): with a conv that copies its centre tap the output is the nearest-neighbour
// ×2 image; exact comparison.
#include "nn/upsample.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "module_test_util.h"

namespace latentlab::nn {
namespace {

using testing::copy_tap;

TEST(UpsampleTest, RepeatsEachPixelTwiceThenConvolves) {
  Upsample up(32);
  auto conv = up->named_children()[0].value();
  copy_tap(*conv, 1, 1);  // centre tap: the nearest-neighbour image itself
  auto x = at::randn({2, 32, 3, 4});
  auto out = up->forward(x);
  EXPECT_EQ(out.sizes(), at::IntArrayRef({2, 32, 6, 8}));
  EXPECT_TRUE(at::equal(out, x.repeat_interleave(2, 2).repeat_interleave(2, 3)));
}

}  // namespace
}  // namespace latentlab::nn
