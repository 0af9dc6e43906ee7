// The residual block of the latent-diffusion autoencoder (CompVis/latent-diffusion, MIT licence,
// ldm/modules/diffusionmodules/model.py `ResnetBlock`, without the timestep embedding the VAE never uses):
//
//   h = conv1(swish(norm1(x)));  h = conv2(dropout(swish(norm2(h))));  return shortcut(x) + h
//
// norm = GroupNorm(32, eps 1e-6), swish(x) = x·sigmoid(x), convs 3×3 padding 1. When the channel count changes
// the shortcut is a 1×1 conv named `nin_shortcut` (or, with conv_shortcut = true, a 3×3 conv named
// `conv_shortcut`); otherwise it is the identity. Parameter names follow LDM, so state dicts load unchanged:
// norm1.{weight,bias}, conv1.{weight,bias}, norm2.*, conv2.*, nin_shortcut.* / conv_shortcut.*.
#pragma once

#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

namespace latentlab::nn {

class ResnetBlockImpl : public torch::nn::Module {
 public:
  ResnetBlockImpl(int64_t in_channels, int64_t out_channels, double dropout = 0.0, bool conv_shortcut = false);

  // x: float N×in_channels×H×W -> N×out_channels×H×W.
  at::Tensor forward(const at::Tensor& x);

  int64_t in_channels() const { return in_channels_; }
  int64_t out_channels() const { return out_channels_; }

 private:
  int64_t in_channels_, out_channels_;
  torch::nn::GroupNorm norm1_{nullptr}, norm2_{nullptr};
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
  torch::nn::Conv2d shortcut_{nullptr};  // null: identity
};
TORCH_MODULE(ResnetBlock);

}  // namespace latentlab::nn
