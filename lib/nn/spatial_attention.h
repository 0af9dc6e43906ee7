// Single-head spatial self-attention of the latent-diffusion autoencoder (CompVis/latent-diffusion, MIT
// licence, ldm/modules/diffusionmodules/model.py `AttnBlock`): every pixel attends to every pixel.
//
//   h = norm(x);  q, k, v = q(h), k(h), v(h)              (1×1 convs, C -> C)
//   a = softmax(q_flat · k_flatᵀ / sqrt(C)) · v_flat       (flat = N × HW × C, one head of width C)
//   return x + proj_out(a reshaped to N×C×H×W)
//
// Parameter names follow LDM: norm.*, q.*, k.*, v.*, proj_out.* (weights C×C×1×1). The softmax attention
// runs through compat::scaled_dot_product_attention, whose default scale is 1/sqrt(C) as above.
#pragma once

#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace latentlab::nn {

class SpatialSelfAttentionImpl : public torch::nn::Module {
 public:
  explicit SpatialSelfAttentionImpl(int64_t channels);

  // x: float N×C×H×W -> N×C×H×W.
  at::Tensor forward(const at::Tensor& x);

 private:
  torch::nn::GroupNorm norm_{nullptr};
  torch::nn::Conv2d q_{nullptr}, k_{nullptr}, v_{nullptr}, proj_out_{nullptr};
};
TORCH_MODULE(SpatialSelfAttention);

}  // namespace latentlab::nn
