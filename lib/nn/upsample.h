// ×2 upsampling of the latent-diffusion autoencoder (CompVis/latent-diffusion, MIT licence,
// ldm/modules/diffusionmodules/model.py `Upsample` with resamp_with_conv): nearest-neighbour ×2, then a 3×3
// conv with padding 1. Parameter names: conv.{weight,bias}.
#pragma once

#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

namespace latentlab::nn {

class UpsampleImpl : public torch::nn::Module {
 public:
  explicit UpsampleImpl(int64_t channels);

  // x: float N×C×H×W -> N×C×2H×2W.
  at::Tensor forward(const at::Tensor& x);

 private:
  torch::nn::Conv2d conv_{nullptr};
};
TORCH_MODULE(Upsample);

}  // namespace latentlab::nn
