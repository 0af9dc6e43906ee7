#include "nn/spatial_attention.h"

#include <ATen/ATen.h>

#include "core/compat.h"
#include "nn/group_norm.h"
#include "nn/norm_in_float32.h"

namespace latentlab::nn {
namespace {

torch::nn::Conv2d conv1x1(int64_t channels) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, channels, 1));
}

// N×C×H×W -> N×1×HW×C, the (batch, heads, tokens, width) layout of the attention op.
at::Tensor tokens(const at::Tensor& x) {
  return x.flatten(2).transpose(1, 2).unsqueeze(1);
}

}  // namespace

SpatialSelfAttentionImpl::SpatialSelfAttentionImpl(int64_t channels) {
  norm_ = register_module("norm", group_norm_32(channels));
  q_ = register_module("q", conv1x1(channels));
  k_ = register_module("k", conv1x1(channels));
  v_ = register_module("v", conv1x1(channels));
  proj_out_ = register_module("proj_out", conv1x1(channels));
}

at::Tensor SpatialSelfAttentionImpl::forward(const at::Tensor& x) {
  const at::Tensor h = norm_in_float32(norm_, x);
  const at::Tensor a =
      compat::scaled_dot_product_attention(tokens(q_->forward(h)), tokens(k_->forward(h)), tokens(v_->forward(h)));
  // N×1×HW×C -> N×C×H×W
  const at::Tensor image = a.squeeze(1).transpose(1, 2).reshape(x.sizes());
  return x + proj_out_->forward(image);
}

}  // namespace latentlab::nn
