// The layers of SiT (willisma/SiT and sihyun-yu/REPA `models/sit.py`, which follow facebookresearch/DiT),
// with PyTorch's parameter names, so that named_parameters() gives the checkpoints' state-dict names:
//
//   SiTTimestepEmbedder  mlp.0, mlp.2            Linear(256 -> D), SiLU, Linear(D -> D) on the sinusoid below
//   SiTAttention         qkv, proj               timm Attention: qkv bias, heads of width D/H, scale 1/sqrt(D/H)
//   SiTMlp               fc1, fc2                timm Mlp: Linear(D -> r·D), GELU (tanh approximation), Linear
//   SiTBlock             attn, mlp, adaLN_modulation.1      adaLN-Zero, below
//   SiTFinalLayer        linear, adaLN_modulation.1
//   SiTProjector         0, 2, 4                 REPA build_mlp: Linear(D -> P), SiLU, Linear(P -> P), SiLU,
//                                                Linear(P -> z)
//
// adaLN-Zero block (DiT eq.): shift1, scale1, gate1, shift2, scale2, gate2 = Linear(SiLU(c)).chunk(6) and
//   x += gate1 · attn(LN(x)·(1 + scale1) + shift1);   x += gate2 · mlp(LN(x)·(1 + scale2) + shift2)
// with LN = LayerNorm without affine parameters, eps 1e-6 (norm1/norm2/norm_final hold no tensors).
// Tokens are N×T×D, conditioning vectors N×D.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

namespace latentlab::models {

// The fixed 2-D sin-cos position embedding of MAE/DiT (`get_2d_sincos_pos_embed`) on a square grid:
// nn::sincos_2d_positions (nn/sincos_positions.h, shared with the Send-VAE mapper), float32 grid²×D.
at::Tensor sincos_position_embedding(int64_t dim, int64_t grid);

// GLIDE/DiT timestep features: [cos(t·f_k), sin(t·f_k)] with f_k = exp(−ln(max_period)·k/(dim/2)),
// k < dim/2 (a zero column appended for odd dim). t: N floating -> N×dim float32.
at::Tensor timestep_frequencies(const at::Tensor& t, int64_t dim = 256, double max_period = 10000.0);

// x·(1 + scale) + shift, with N×D shift/scale broadcast over the tokens of N×T×D x.
at::Tensor modulate(const at::Tensor& x, const at::Tensor& shift, const at::Tensor& scale);

class SiTTimestepEmbedderImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kFrequencies = 256;
  explicit SiTTimestepEmbedderImpl(int64_t hidden);
  at::Tensor forward(const at::Tensor& t);       // N -> N×D
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};  // mlp.0, mlp.2
};
TORCH_MODULE(SiTTimestepEmbedder);

class SiTAttentionImpl : public torch::nn::Module {
 public:
  SiTAttentionImpl(int64_t hidden, int64_t heads);
  at::Tensor forward(const at::Tensor& x);  // N×T×D -> N×T×D
  torch::nn::Linear qkv{nullptr}, proj{nullptr};

 private:
  int64_t heads_;
};
TORCH_MODULE(SiTAttention);

class SiTMlpImpl : public torch::nn::Module {
 public:
  SiTMlpImpl(int64_t hidden, int64_t inner);
  at::Tensor forward(const at::Tensor& x);
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(SiTMlp);

class SiTBlockImpl : public torch::nn::Module {
 public:
  SiTBlockImpl(int64_t hidden, int64_t heads, int64_t mlp_hidden);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& c);  // x N×T×D, c N×D
  SiTAttention attn{nullptr};
  SiTMlp mlp{nullptr};
  torch::nn::Linear adaLN{nullptr};  // adaLN_modulation.1: D -> 6·D
};
TORCH_MODULE(SiTBlock);

class SiTFinalLayerImpl : public torch::nn::Module {
 public:
  SiTFinalLayerImpl(int64_t hidden, int64_t patch_outputs);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& c);  // -> N×T×patch_outputs
  torch::nn::Linear linear{nullptr};
  torch::nn::Linear adaLN{nullptr};  // adaLN_modulation.1: D -> 2·D
};
TORCH_MODULE(SiTFinalLayer);

class SiTProjectorImpl : public torch::nn::Module {
 public:
  SiTProjectorImpl(int64_t hidden, int64_t projector_dim, int64_t z_dim);
  at::Tensor forward(const at::Tensor& x);                     // …×D -> …×z
  torch::nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};  // 0, 2, 4
};
TORCH_MODULE(SiTProjector);

}  // namespace latentlab::models
