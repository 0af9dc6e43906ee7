// Stride-2 downsampling of the latent-diffusion autoencoder (CompVis/latent-diffusion, MIT licence,
// ldm/modules/diffusionmodules/model.py `Downsample` with resamp_with_conv): zero-pad right and bottom by one
// pixel (left and top by none), then a 3×3 conv with stride 2 and no padding, so H×W -> floor(H/2)×floor(W/2).
// Parameter names: conv.{weight,bias}.
#pragma once

#include <cstdint>

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

namespace latentlab::nn {

class DownsampleImpl : public torch::nn::Module {
 public:
  explicit DownsampleImpl(int64_t channels);

  // x: float N×C×H×W -> N×C×floor(H/2)×floor(W/2).
  at::Tensor forward(const at::Tensor& x);

 private:
  torch::nn::Conv2d conv_{nullptr};
};
TORCH_MODULE(Downsample);

}  // namespace latentlab::nn
