// compat.h against independent expectations: attention against an explicit softmax(QK^T/sqrt(d))V,
// autocast against the dtype Linear produces, the version macro against the version string.
#include "core/compat.h"

#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adamw.h>

namespace latentlab {
namespace {

at::Tensor manual_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, bool causal) {
  auto scores = at::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(-1)));
  if (causal) {
    auto mask = at::ones({q.size(-2), k.size(-2)}, at::kBool).triu(1);
    scores = scores.masked_fill(mask, -INFINITY);
  }
  return at::matmul(at::softmax(scores, -1), v);
}

TEST(Compat, AttentionMatchesExplicitSoftmax) {
  at::manual_seed(3);
  auto q = at::randn({2, 3, 7, 8}, at::kDouble), k = at::randn({2, 3, 5, 8}, at::kDouble);
  auto v = at::randn({2, 3, 5, 4}, at::kDouble);
  // float64 inputs: both paths are exact up to summation order.
  EXPECT_TRUE(
      at::allclose(compat::scaled_dot_product_attention(q, k, v), manual_attention(q, k, v, false), 1e-12, 1e-12));
}

TEST(Compat, CausalAttentionMasksTheFuture) {
  at::manual_seed(4);
  auto q = at::randn({1, 2, 6, 4}), k = at::randn({1, 2, 6, 4}), v = at::randn({1, 2, 6, 4});
  auto out = compat::scaled_dot_product_attention(q, k, v, true);
  EXPECT_TRUE(at::allclose(out, manual_attention(q, k, v, true), 1e-5, 1e-6));
  // The first query may only see the first key: its output is v[0].
  EXPECT_TRUE(at::allclose(out.select(2, 0), v.select(2, 0), 1e-6, 1e-6));
}

TEST(Compat, CpuAutocastMakesLinearBFloat16AndRestores) {
  torch::nn::Linear linear(4, 3);
  auto x = at::randn({2, 4});
  EXPECT_FALSE(compat::autocast_enabled(at::kCPU));
  {
    compat::AutocastScope scope(at::kCPU, at::kBFloat16);
    EXPECT_TRUE(compat::autocast_enabled(at::kCPU));
    EXPECT_EQ(linear(x).scalar_type(), at::kBFloat16);
  }
  EXPECT_FALSE(compat::autocast_enabled(at::kCPU));
  EXPECT_EQ(linear(x).scalar_type(), at::kFloat);
}

TEST(Compat, TF32ScopeSetsAndRestoresBothSwitches) {
  auto& context = at::globalContext();
  const bool cudnn = context.allowTF32CuDNN(), cublas = context.allowTF32CuBLAS();
  for (const bool allow : {false, true}) {
    {
      compat::TF32Scope scope(allow);
      EXPECT_EQ(context.allowTF32CuDNN(), allow);
      EXPECT_EQ(context.allowTF32CuBLAS(), allow);
    }
    EXPECT_EQ(context.allowTF32CuDNN(), cudnn);
    EXPECT_EQ(context.allowTF32CuBLAS(), cublas);
  }
}

TEST(Compat, SetLearningRateReachesEveryGroup) {
  torch::nn::Linear a(2, 2), b(2, 2);
  torch::optim::AdamW optimizer(
      {torch::optim::OptimizerParamGroup(a->parameters()), torch::optim::OptimizerParamGroup(b->parameters())},
      torch::optim::AdamWOptions(1e-3));
  compat::set_learning_rate(optimizer, 0.25);
  for (auto& group : optimizer.param_groups()) EXPECT_EQ(group.options().get_lr(), 0.25);
}

TEST(Compat, VersionMacroAgreesWithVersionString) {
  const std::string version = compat::torch_version();
  EXPECT_EQ(version.rfind(std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + ".", 0),
            0u);
  EXPECT_TRUE(LATENTLAB_TORCH_AT_LEAST(1, 13));
  EXPECT_FALSE(LATENTLAB_TORCH_AT_LEAST(TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR + 1));
}

TEST(Compat, CudaCountIsZeroWithoutGpuBuild) {
#ifndef LATENTLAB_WITH_CUDA
  EXPECT_EQ(compat::cuda_device_count(), 0);
#else
  EXPECT_GE(compat::cuda_device_count(), 0);
#endif
}

}  // namespace
}  // namespace latentlab
