#include "models/sendvae_mapper_block.h"

#include <ATen/ATen.h>

#include "core/compat.h"
#include "nn/norm_in_float32.h"

namespace latentlab::models {
namespace {

torch::nn::LayerNorm layer_norm_module(int64_t width, double eps) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(eps));
}

// An empty parent, so that the linears are named attn.qkv, attn.proj, mlp.fc1, mlp.fc2 as in timm.
struct Holder : torch::nn::Module {};

}  // namespace

SendVAEMapperBlockImpl::SendVAEMapperBlockImpl(int64_t width, int64_t heads, int64_t mlp_hidden, double ln_eps)
    : heads_(heads) {
  norm1 = register_module("norm1", layer_norm_module(width, ln_eps));
  auto attn = register_module("attn", std::make_shared<Holder>());
  qkv = attn->register_module("qkv", torch::nn::Linear(width, 3 * width));
  proj = attn->register_module("proj", torch::nn::Linear(width, width));
  norm2 = register_module("norm2", layer_norm_module(width, ln_eps));
  auto mlp = register_module("mlp", std::make_shared<Holder>());
  fc1 = mlp->register_module("fc1", torch::nn::Linear(width, mlp_hidden));
  fc2 = mlp->register_module("fc2", torch::nn::Linear(mlp_hidden, width));
}

at::Tensor SendVAEMapperBlockImpl::forward(const at::Tensor& x) {
  const int64_t b = x.size(0), n = x.size(1), d = x.size(2);
  // B×N×3D -> 3×B×heads×N×(D/heads)
  const at::Tensor parts =
      qkv->forward(nn::norm_in_float32(norm1, x)).reshape({b, n, 3, heads_, d / heads_}).permute({2, 0, 3, 1, 4});
  const at::Tensor a = compat::scaled_dot_product_attention(parts[0], parts[1], parts[2]);
  at::Tensor h = x + proj->forward(a.transpose(1, 2).reshape({b, n, d}));
  return h + fc2->forward(at::gelu(fc1->forward(nn::norm_in_float32(norm2, h))));
}

}  // namespace latentlab::models
