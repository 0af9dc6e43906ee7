#include "models/sit_layers.h"

#include <cmath>
#include <memory>
#include <string>

#include <ATen/ATen.h>

#include "core/compat.h"
#include "nn/sincos_positions.h"

namespace latentlab::models {
namespace {

constexpr double kLayerNormEps = 1e-6;

// Registers `linear` as <container>.<index>: the names PyTorch's nn.Sequential gives its children.
torch::nn::Linear numbered(torch::nn::Module& parent, const std::string& container, int index,
                           torch::nn::Linear linear) {
  std::shared_ptr<torch::nn::Module> holder;
  for (const auto& child : parent.named_children())
    if (child.key() == container) holder = child.value();
  if (!holder) holder = parent.register_module(container, std::make_shared<torch::nn::Module>());
  return holder->register_module(std::to_string(index), linear);
}

torch::nn::Linear linear(int64_t in, int64_t out) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out));
}

at::Tensor layer_norm(const at::Tensor& x) {
  return at::layer_norm(x, {x.size(-1)}, {}, {}, kLayerNormEps);
}

}  // namespace

at::Tensor sincos_position_embedding(int64_t dim, int64_t grid) {
  return nn::sincos_2d_positions(dim, grid, grid, at::kFloat);
}

at::Tensor timestep_frequencies(const at::Tensor& t, int64_t dim, double max_period) {
  const int64_t half = dim / 2;
  // float32 throughout, in the reference's order of operations.
  const at::Tensor freqs = at::exp(-std::log(max_period) * at::arange(0, half, at::TensorOptions().dtype(at::kFloat)) /
                                   static_cast<double>(half))
                               .to(t.device());
  const at::Tensor args = t.to(at::kFloat).unsqueeze(1) * freqs.unsqueeze(0);
  at::Tensor embedding = at::cat({at::cos(args), at::sin(args)}, -1);
  if (dim % 2) embedding = at::cat({embedding, at::zeros_like(embedding.narrow(1, 0, 1))}, -1);
  return embedding;
}

at::Tensor modulate(const at::Tensor& x, const at::Tensor& shift, const at::Tensor& scale) {
  return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1);
}

SiTTimestepEmbedderImpl::SiTTimestepEmbedderImpl(int64_t hidden) {
  fc1 = numbered(*this, "mlp", 0, linear(kFrequencies, hidden));
  fc2 = numbered(*this, "mlp", 2, linear(hidden, hidden));
}

at::Tensor SiTTimestepEmbedderImpl::forward(const at::Tensor& t) {
  const at::Tensor features = timestep_frequencies(t, kFrequencies).to(fc1->weight.scalar_type());
  return fc2->forward(at::silu(fc1->forward(features)));
}

SiTAttentionImpl::SiTAttentionImpl(int64_t hidden, int64_t heads) : heads_(heads) {
  qkv = register_module("qkv", linear(hidden, 3 * hidden));
  proj = register_module("proj", linear(hidden, hidden));
}

at::Tensor SiTAttentionImpl::forward(const at::Tensor& x) {
  const int64_t n = x.size(0), tokens = x.size(1), width = x.size(2);
  // N×T×3D -> 3 × N×H×T×(D/H), as timm splits qkv.
  const auto qkv_heads = qkv->forward(x).reshape({n, tokens, 3, heads_, width / heads_}).permute({2, 0, 3, 1, 4});
  const at::Tensor a = compat::scaled_dot_product_attention(qkv_heads[0], qkv_heads[1], qkv_heads[2]);
  return proj->forward(a.transpose(1, 2).reshape({n, tokens, width}));
}

SiTMlpImpl::SiTMlpImpl(int64_t hidden, int64_t inner) {
  fc1 = register_module("fc1", linear(hidden, inner));
  fc2 = register_module("fc2", linear(inner, hidden));
}

at::Tensor SiTMlpImpl::forward(const at::Tensor& x) {
  return fc2->forward(at::gelu(fc1->forward(x), "tanh"));
}

SiTBlockImpl::SiTBlockImpl(int64_t hidden, int64_t heads, int64_t mlp_hidden) {
  attn = register_module("attn", SiTAttention(hidden, heads));
  mlp = register_module("mlp", SiTMlp(hidden, mlp_hidden));
  adaLN = numbered(*this, "adaLN_modulation", 1, linear(hidden, 6 * hidden));
}

at::Tensor SiTBlockImpl::forward(const at::Tensor& x, const at::Tensor& c) {
  const auto m = adaLN->forward(at::silu(c)).chunk(6, -1);  // shift, scale, gate for attention, then MLP
  at::Tensor h = x + m[2].unsqueeze(1) * attn->forward(modulate(layer_norm(x), m[0], m[1]));
  return h + m[5].unsqueeze(1) * mlp->forward(modulate(layer_norm(h), m[3], m[4]));
}

SiTFinalLayerImpl::SiTFinalLayerImpl(int64_t hidden, int64_t patch_outputs) {
  linear = register_module("linear", models::linear(hidden, patch_outputs));
  adaLN = numbered(*this, "adaLN_modulation", 1, models::linear(hidden, 2 * hidden));
}

at::Tensor SiTFinalLayerImpl::forward(const at::Tensor& x, const at::Tensor& c) {
  const auto m = adaLN->forward(at::silu(c)).chunk(2, -1);  // shift, scale
  return linear->forward(modulate(layer_norm(x), m[0], m[1]));
}

SiTProjectorImpl::SiTProjectorImpl(int64_t hidden, int64_t projector_dim, int64_t z_dim) {
  fc1 = register_module("0", linear(hidden, projector_dim));
  fc2 = register_module("2", linear(projector_dim, projector_dim));
  fc3 = register_module("4", linear(projector_dim, z_dim));
}

at::Tensor SiTProjectorImpl::forward(const at::Tensor& x) {
  return fc3->forward(at::silu(fc2->forward(at::silu(fc1->forward(x)))));
}

}  // namespace latentlab::models
