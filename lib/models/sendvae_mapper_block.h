// One pre-norm ViT encoder block (Dosovitskiy et al. 2021; parameter names of timm's `Block`, as the REPA /
// Send-VAE mappers use them), without any conditioning:
//
//   x = x + attn.proj(MHSA(norm1(x)))        qkv = attn.qkv(·) (D -> 3D, bias), heads split D, scale 1/sqrt(D/heads)
//   x = x + mlp.fc2(GELU(mlp.fc1(norm2(x)))) fc1 D -> ratio·D, exact (erf) GELU
//
// LayerNorms are affine with eps `ln_eps` (1e-6 as timm's ViTs and SiT). Tokens are B×N×D float.
#pragma once

#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace latentlab::models {

class SendVAEMapperBlockImpl : public torch::nn::Module {
 public:
  SendVAEMapperBlockImpl(int64_t width, int64_t heads, int64_t mlp_hidden, double ln_eps);
  at::Tensor forward(const at::Tensor& x);

  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Linear qkv{nullptr}, proj{nullptr}, fc1{nullptr}, fc2{nullptr};

 private:
  int64_t heads_;
};
TORCH_MODULE(SendVAEMapperBlock);

}  // namespace latentlab::models
