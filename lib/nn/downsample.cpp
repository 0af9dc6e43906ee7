#include "nn/downsample.h"

#include <ATen/ATen.h>

namespace latentlab::nn {

DownsampleImpl::DownsampleImpl(int64_t channels) {
  conv_ =
      register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, channels, 3).stride(2).padding(0)));
}

at::Tensor DownsampleImpl::forward(const at::Tensor& x) {
  // (left, right, top, bottom) = (0, 1, 0, 1): the asymmetric padding of LDM and diffusers' Downsample2D.
  return conv_->forward(at::constant_pad_nd(x, {0, 1, 0, 1}, 0.0));
}

}  // namespace latentlab::nn
