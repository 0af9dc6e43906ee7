// nn::norm_in_float32 (lib/nn/norm_in_float32.h): under CPU bf16 autocast a ResnetBlock runs (LibTorch
// 1.13's CPU group_norm kernel refuses a bf16 input with float32 weights) and its norms compute in float32;
// outside autocast it is the plain module.
#include "nn/norm_in_float32.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "core/compat.h"
#include "nn/group_norm.h"
#include "nn/resnet_block.h"

namespace latentlab::nn {
namespace {

TEST(NormInFloat32, IsThePlainModuleOnFloat32) {
  at::manual_seed(3);
  auto norm = group_norm_32(64);
  const at::Tensor x = at::randn({2, 64, 4, 5});
  EXPECT_TRUE(at::equal(norm_in_float32(norm, x), norm->forward(x)));
}

TEST(NormInFloat32, NormalisesABfloat16InputInFloat32) {
  at::manual_seed(4);
  auto norm = group_norm_32(32);
  const at::Tensor x = at::randn({2, 32, 3, 3}).to(at::kBFloat16);
  const at::Tensor y = norm_in_float32(norm, x);
  EXPECT_EQ(y.scalar_type(), at::kFloat);
  EXPECT_TRUE(at::equal(y, norm->forward(x.to(at::kFloat))));  // the bf16 values, normalised exactly in float32
}

TEST(NormInFloat32, LetsAResnetBlockRunUnderCpuBf16Autocast) {
  at::manual_seed(5);
  ResnetBlock block(32, 64);
  const at::Tensor x = at::randn({2, 32, 6, 6});
  const at::Tensor reference = block->forward(x);
  at::Tensor y;
  {
    compat::AutocastScope autocast(c10::DeviceType::CPU, at::kBFloat16);
    y = block->forward(x);
  }
  // bf16 convolutions (8-bit mantissa) against float32: close, not equal.
  EXPECT_FALSE(at::equal(y.to(at::kFloat), reference));
  EXPECT_LT((y.to(at::kFloat) - reference).abs().max().item<double>(), 0.1 * reference.abs().max().item<double>());
}

}  // namespace
}  // namespace latentlab::nn
