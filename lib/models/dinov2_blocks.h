// The pieces of a DINOv2 ViT block (facebookresearch/dinov2, Apache-2.0, `dinov2/layers/`), with parameters
// named as in the published state dicts. Each holds its tensors directly (at::linear, at::layer_norm) so this
// file needs only torch/nn/module.h.
//
//   Block:  x = x + ls1(attn(norm1(x)));  x = x + ls2(mlp(norm2(x)))       (pre-norm, LayerNorm eps 1e-6)
//   attn:   qkv (D → 3D, bias), heads of width D/H, softmax(q·kᵀ/√(D/H))·v, proj (D → D, bias)
//   mlp:    fc1 (D → hidden) → GELU (erf) → fc2 (hidden → D)                 ViT-S/B/L
//           w12 (D → 2·hidden) → silu(x1)·x2 (chunks of w12's output) → w3  ViT-g (SwiGLUFFNFused)
//   ls1/ls2: LayerScale, x · gamma (D)
// Tokens are (B, T, D) float32 throughout.
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include "models/dinov2_config.h"

namespace latentlab::models::dinov2 {

// weight (out, in) and optional bias (out): y = x·Wᵀ + b.
class Linear : public torch::nn::Module {
 public:
  Linear(int64_t in, int64_t out, bool bias = true);
  at::Tensor forward(const at::Tensor& x) const;

 private:
  at::Tensor weight_, bias_;
};

// LayerNorm over the last dimension with weight and bias (D).
class LayerNorm : public torch::nn::Module {
 public:
  LayerNorm(int64_t dim, double eps);
  at::Tensor forward(const at::Tensor& x) const;

 private:
  at::Tensor weight_, bias_;
  double eps_;
};

class Attention : public torch::nn::Module {
 public:
  Attention(int64_t dim, int64_t num_heads);
  at::Tensor forward(const at::Tensor& x) const;  // (B, T, D) -> (B, T, D)

 private:
  int64_t num_heads_;
  std::shared_ptr<Linear> qkv_, proj_;
};

class Ffn : public torch::nn::Module {
 public:
  Ffn(int64_t dim, int64_t hidden, DinoV2Ffn kind);
  at::Tensor forward(const at::Tensor& x) const;

 private:
  DinoV2Ffn kind_;
  std::shared_ptr<Linear> in_, out_;  // fc1/fc2 or w12/w3
};

class Block : public torch::nn::Module {
 public:
  explicit Block(const DinoV2Config& config);
  at::Tensor forward(const at::Tensor& x) const;

 private:
  std::shared_ptr<LayerNorm> norm1_, norm2_;
  std::shared_ptr<Attention> attn_;
  std::shared_ptr<Ffn> mlp_;
  at::Tensor gamma1_, gamma2_;  // undefined without LayerScale
};

}  // namespace latentlab::models::dinov2
