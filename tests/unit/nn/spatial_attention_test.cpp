// nn::SpatialSelfAttention (lib/nn/spatial_attention.cpp) against LDM's AttnBlock formula written with bmm and
// softmax. The tolerance (1e-5) covers the different summation order of the fused attention op.
#include "nn/spatial_attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include <ATen/ATen.h>

#include "module_test_util.h"

namespace latentlab::nn {
namespace {

using testing::parameter_names;

TEST(SpatialSelfAttentionTest, MatchesTheBmmFormula) {
  at::manual_seed(3);
  SpatialSelfAttention attention(32);
  EXPECT_EQ(parameter_names(*attention),
            (std::set<std::string>{"norm.weight", "norm.bias", "q.weight", "q.bias", "k.weight", "k.bias", "v.weight",
                                   "v.bias", "proj_out.weight", "proj_out.bias"}));
  auto p = attention->named_parameters();
  auto x = at::randn({2, 32, 3, 5});  // not square: a transposed H/W would show
  auto h = at::group_norm(x, 32, p["norm.weight"], p["norm.bias"], 1e-6);
  auto q = at::conv2d(h, p["q.weight"], p["q.bias"]).reshape({2, 32, 15}).permute({0, 2, 1});
  auto k = at::conv2d(h, p["k.weight"], p["k.bias"]).reshape({2, 32, 15});
  auto v = at::conv2d(h, p["v.weight"], p["v.bias"]).reshape({2, 32, 15});
  auto w = at::softmax(at::bmm(q, k) / std::sqrt(32.0), 2);
  auto a = at::bmm(v, w.permute({0, 2, 1})).reshape({2, 32, 3, 5});
  auto expected = x + at::conv2d(a, p["proj_out.weight"], p["proj_out.bias"]);
  auto got = attention->forward(x);
  EXPECT_LT((got - expected).abs().max().item<double>(), 1e-5);
}

}  // namespace
}  // namespace latentlab::nn
