// The building blocks of the FID Inception-v3: the TensorFlow "2015-12-05" graph as ported by pytorch-fid
// (mseitzer/pytorch-fid `src/pytorch_fid/inception.py`, Apache-2.0), which reuses torchvision's Inception3
// blocks (BSD-3-Clause) and overrides the forward pass of three of them:
//   - FIDInceptionA, FIDInceptionC, FIDInceptionE_1: the pool branch averages with count_include_pad=False
//     (TF's AvgPool with SAME padding divides by the number of valid pixels);
//   - FIDInceptionE_2 (Mixed_7c): the pool branch takes a 3×3 **max** pool (a bug in the TF graph kept for
//     compatibility).
// InceptionB (Mixed_6a) and InceptionD (Mixed_7a) are torchvision's unchanged.
//
// Every convolution is BasicConv2d: conv (no bias) → BatchNorm (inference, eps 0.001) → ReLU. Submodule and
// tensor names follow torchvision exactly ("branch1x1.conv.weight", "branch1x1.bn.running_var", …), so the
// state dict of the published `pt_inception-2015-12-05-6726825d.pth` loads by name. All tensors are NCHW
// float32; shapes in the comments are for a 299×299 input.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

namespace latentlab::models::inception_fid {

using Pair = std::array<int64_t, 2>;

// conv(kernel, stride, padding, no bias) → BN(eps 1e-3, running statistics) → ReLU.
// Tensors: conv.weight (out, in, kh, kw); bn.weight, bn.bias, bn.running_mean, bn.running_var (out).
class BasicConv2d : public torch::nn::Module {
 public:
  BasicConv2d(int64_t in_channels, int64_t out_channels, Pair kernel, Pair stride = {1, 1}, Pair padding = {0, 0});
  // x: (N, in, H, W) -> (N, out, H', W').
  at::Tensor forward(const at::Tensor& x);

  // Folds the inference batch norm into the convolution for forward(): w' = w·s, b' = β − μ·s with
  // s = γ/√(σ² + ε), computed in float64 and rounded once, in w's device and memory format. forward() then
  // runs conv-with-bias → ReLU: one pass over the activations fewer, the same function up to float32
  // rounding. The state-dict tensors stay as loaded; fold again after they or their device change.
  void fold_batch_norm();
  void unfold_batch_norm();
  bool batch_norm_folded() const { return folded_weight_.defined(); }

 private:
  at::Tensor weight_, bn_weight_, bn_bias_, running_mean_, running_var_;
  at::Tensor folded_weight_, folded_bias_;  // not registered: derived from the five above
  Pair stride_, padding_;
};

// Mixed_5b/5c/5d (35×35): 64 + 64 + 96 + pool_features channels out.
class InceptionA : public torch::nn::Module {
 public:
  InceptionA(int64_t in_channels, int64_t pool_features);
  at::Tensor forward(const at::Tensor& x);

 private:
  std::shared_ptr<BasicConv2d> branch1x1_, branch5x5_1_, branch5x5_2_, branch3x3dbl_1_, branch3x3dbl_2_,
      branch3x3dbl_3_, branch_pool_;
};

// Mixed_6a (35×35 -> 17×17): 384 + 96 + in_channels out.
class InceptionB : public torch::nn::Module {
 public:
  explicit InceptionB(int64_t in_channels);
  at::Tensor forward(const at::Tensor& x);

 private:
  std::shared_ptr<BasicConv2d> branch3x3_, branch3x3dbl_1_, branch3x3dbl_2_, branch3x3dbl_3_;
};

// Mixed_6b..6e (17×17): 4 × 192 = 768 channels out. When `branch1x1_out` is given it receives the output of
// the 1×1 branch (N, 192, 17, 17): for Mixed_6d that is TF's `mixed_6/conv` (the sFID features).
class InceptionC : public torch::nn::Module {
 public:
  InceptionC(int64_t in_channels, int64_t channels_7x7);
  at::Tensor forward(const at::Tensor& x, at::Tensor* branch1x1_out = nullptr);

 private:
  std::shared_ptr<BasicConv2d> branch1x1_, branch7x7_1_, branch7x7_2_, branch7x7_3_, branch7x7dbl_1_, branch7x7dbl_2_,
      branch7x7dbl_3_, branch7x7dbl_4_, branch7x7dbl_5_, branch_pool_;
};

// Mixed_7a (17×17 -> 8×8): 320 + 192 + in_channels out.
class InceptionD : public torch::nn::Module {
 public:
  explicit InceptionD(int64_t in_channels);
  at::Tensor forward(const at::Tensor& x);

 private:
  std::shared_ptr<BasicConv2d> branch3x3_1_, branch3x3_2_, branch7x7x3_1_, branch7x7x3_2_, branch7x7x3_3_,
      branch7x7x3_4_;
};

// Mixed_7b (average pool branch, FIDInceptionE_1) and Mixed_7c (max pool branch, FIDInceptionE_2), 8×8:
// 320 + 768 + 768 + 192 = 2048 channels out.
enum class PoolBranch { Average, Max };

class InceptionE : public torch::nn::Module {
 public:
  InceptionE(int64_t in_channels, PoolBranch pool);
  at::Tensor forward(const at::Tensor& x);

 private:
  PoolBranch pool_;
  std::shared_ptr<BasicConv2d> branch1x1_, branch3x3_1_, branch3x3_2a_, branch3x3_2b_, branch3x3dbl_1_, branch3x3dbl_2_,
      branch3x3dbl_3a_, branch3x3dbl_3b_, branch_pool_;
};

}  // namespace latentlab::models::inception_fid
