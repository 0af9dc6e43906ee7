// nn::ResnetBlock (lib/nn/resnet_block.cpp) against known answers: LDM parameter names, the residual
// structure (a zeroed last conv leaves the shortcut) and the block written out with at:: ops. float32, CPU.
#include "nn/resnet_block.h"

#include <gtest/gtest.h>

#include <set>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "module_test_util.h"

namespace latentlab::nn {
namespace {

using testing::parameter_names;

TEST(ResnetBlockTest, HasLdmParameterNames) {
  ResnetBlock same(32, 32), wider(32, 64), three(32, 64, 0.0, true);
  const std::set<std::string> core = {"norm1.weight", "norm1.bias", "conv1.weight", "conv1.bias",
                                      "norm2.weight", "norm2.bias", "conv2.weight", "conv2.bias"};
  EXPECT_EQ(parameter_names(*same), core);
  auto with_nin = core;
  with_nin.insert({"nin_shortcut.weight", "nin_shortcut.bias"});
  EXPECT_EQ(parameter_names(*wider), with_nin);
  EXPECT_EQ(wider->named_parameters()["nin_shortcut.weight"].sizes(), at::IntArrayRef({64, 32, 1, 1}));
  EXPECT_EQ(three->named_parameters()["conv_shortcut.weight"].sizes(), at::IntArrayRef({64, 32, 3, 3}));
  EXPECT_EQ(same->named_parameters()["norm1.weight"].sizes(), at::IntArrayRef({32}));
}

TEST(ResnetBlockTest, ZeroLastConvLeavesTheShortcut) {
  at::manual_seed(1);
  ResnetBlock same(32, 32), wider(32, 64);
  auto x = at::randn({2, 32, 5, 6});
  {
    at::NoGradGuard no_grad;
    same->named_parameters()["conv2.weight"].zero_();
    same->named_parameters()["conv2.bias"].zero_();
    wider->named_parameters()["conv2.weight"].zero_();
    wider->named_parameters()["conv2.bias"].zero_();
  }
  EXPECT_TRUE(at::equal(same->forward(x), x));
  auto params = wider->named_parameters();
  auto expected = at::conv2d(x, params["nin_shortcut.weight"], params["nin_shortcut.bias"]);
  auto got = wider->forward(x);
  EXPECT_EQ(got.sizes(), at::IntArrayRef({2, 64, 5, 6}));
  EXPECT_TRUE(at::allclose(got, expected, 1e-6, 1e-6));
}

TEST(ResnetBlockTest, GroupNormUses32GroupsAndEps1e6) {
  // The whole block against its formula written with at:: ops (GroupNorm 32 groups, eps 1e-6, swish).
  at::manual_seed(2);
  ResnetBlock block(64, 64);
  auto p = block->named_parameters();
  auto x = at::randn({1, 64, 4, 4}) * 3 + 1;
  auto h = at::conv2d(at::silu(at::group_norm(x, 32, p["norm1.weight"], p["norm1.bias"], 1e-6)), p["conv1.weight"],
                      p["conv1.bias"], 1, 1);
  h = at::conv2d(at::silu(at::group_norm(h, 32, p["norm2.weight"], p["norm2.bias"], 1e-6)), p["conv2.weight"],
                 p["conv2.bias"], 1, 1);
  EXPECT_TRUE(at::allclose(block->forward(x), x + h, 1e-5, 1e-6));
}

}  // namespace
}  // namespace latentlab::nn
