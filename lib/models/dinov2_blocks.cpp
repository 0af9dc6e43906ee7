// DINOv2 block pieces (see the header).
#include "models/dinov2_blocks.h"

#include <cmath>

#include <ATen/ATen.h>

#include "core/compat.h"

namespace latentlab::models::dinov2 {
namespace {

constexpr double kLayerNormEps = 1e-6;  // vision_transformer.py: partial(nn.LayerNorm, eps=1e-6)

// A holder module whose only parameter is LayerScale's `gamma`, so that the state-dict name is lsN.gamma.
at::Tensor register_layerscale(torch::nn::Module& parent, const std::string& name, int64_t dim) {
  auto holder = std::make_shared<torch::nn::Module>();
  const at::Tensor gamma = holder->register_parameter("gamma", at::ones({dim}));  // hub init_values=1.0
  parent.register_module(name, holder);
  return gamma;
}

}  // namespace

Linear::Linear(int64_t in, int64_t out, bool bias) {
  // Random until weights are loaded (timm's trunc_normal(0.02) init, approximately).
  weight_ = register_parameter("weight", at::randn({out, in}) * 0.02);
  if (bias) bias_ = register_parameter("bias", at::zeros({out}));
}

at::Tensor Linear::forward(const at::Tensor& x) const {
  return at::linear(x, weight_, bias_);
}

LayerNorm::LayerNorm(int64_t dim, double eps) : eps_(eps) {
  weight_ = register_parameter("weight", at::ones({dim}));
  bias_ = register_parameter("bias", at::zeros({dim}));
}

at::Tensor LayerNorm::forward(const at::Tensor& x) const {
  return at::layer_norm(x, {weight_.size(0)}, weight_, bias_, eps_);
}

Attention::Attention(int64_t dim, int64_t num_heads) : num_heads_(num_heads) {
  qkv_ = register_module("qkv", std::make_shared<Linear>(dim, 3 * dim));
  proj_ = register_module("proj", std::make_shared<Linear>(dim, dim));
}

at::Tensor Attention::forward(const at::Tensor& x) const {
  const int64_t b = x.size(0), t = x.size(1), d = x.size(2);
  // (B, T, 3D) -> (3, B, H, T, D/H), as dinov2's reshape(B, N, 3, H, C // H).permute(2, 0, 3, 1, 4).
  const at::Tensor qkv = qkv_->forward(x).reshape({b, t, 3, num_heads_, d / num_heads_}).permute({2, 0, 3, 1, 4});
  // The compat op scales by 1/√(D/H), dinov2's head_dim ** -0.5.
  const at::Tensor a = compat::scaled_dot_product_attention(qkv[0], qkv[1], qkv[2]);
  return proj_->forward(a.transpose(1, 2).reshape({b, t, d}));
}

Ffn::Ffn(int64_t dim, int64_t hidden, DinoV2Ffn kind) : kind_(kind) {
  if (kind == DinoV2Ffn::Mlp) {
    in_ = register_module("fc1", std::make_shared<Linear>(dim, hidden));
    out_ = register_module("fc2", std::make_shared<Linear>(hidden, dim));
  } else {
    in_ = register_module("w12", std::make_shared<Linear>(dim, 2 * hidden));
    out_ = register_module("w3", std::make_shared<Linear>(hidden, dim));
  }
}

at::Tensor Ffn::forward(const at::Tensor& x) const {
  const at::Tensor h = in_->forward(x);
  if (kind_ == DinoV2Ffn::Mlp) return out_->forward(at::gelu(h));  // nn.GELU(): the exact erf form
  const auto halves = h.chunk(2, -1);
  return out_->forward(at::silu(halves[0]) * halves[1]);
}

Block::Block(const DinoV2Config& config) {
  norm1_ = register_module("norm1", std::make_shared<LayerNorm>(config.embed_dim, kLayerNormEps));
  attn_ = register_module("attn", std::make_shared<Attention>(config.embed_dim, config.num_heads));
  if (config.layerscale) gamma1_ = register_layerscale(*this, "ls1", config.embed_dim);
  norm2_ = register_module("norm2", std::make_shared<LayerNorm>(config.embed_dim, kLayerNormEps));
  mlp_ = register_module("mlp", std::make_shared<Ffn>(config.embed_dim, config.ffn_hidden, config.ffn));
  if (config.layerscale) gamma2_ = register_layerscale(*this, "ls2", config.embed_dim);
}

at::Tensor Block::forward(const at::Tensor& x) const {
  at::Tensor a = attn_->forward(norm1_->forward(x));
  if (gamma1_.defined()) a = a * gamma1_;
  const at::Tensor h = x + a;
  at::Tensor m = mlp_->forward(norm2_->forward(h));
  if (gamma2_.defined()) m = m * gamma2_;
  return h + m;
}

}  // namespace latentlab::models::dinov2
