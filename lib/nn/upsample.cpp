#include "nn/upsample.h"

#include <vector>

#include <ATen/ATen.h>

namespace latentlab::nn {

UpsampleImpl::UpsampleImpl(int64_t channels) {
  conv_ = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, channels, 3).padding(1)));
}

at::Tensor UpsampleImpl::forward(const at::Tensor& x) {
  // Integer factor 2: every output pixel copies input pixel (i/2, j/2), as F.interpolate(mode="nearest").
  const std::vector<int64_t> size = {2 * x.size(2), 2 * x.size(3)};
  return conv_->forward(at::upsample_nearest2d(x, at::IntArrayRef(size)));
}

}  // namespace latentlab::nn
