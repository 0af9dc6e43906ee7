#include "nn/resnet_block.h"

#include <ATen/ATen.h>

#include "nn/group_norm.h"
#include "nn/norm_in_float32.h"

namespace latentlab::nn {
namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).stride(1).padding(kernel / 2));
}

}  // namespace

ResnetBlockImpl::ResnetBlockImpl(int64_t in_channels, int64_t out_channels, double dropout, bool conv_shortcut)
    : in_channels_(in_channels), out_channels_(out_channels) {
  // Registration order = LDM's attribute order, so named_parameters() lists tensors as its state dicts do.
  norm1_ = register_module("norm1", group_norm_32(in_channels));
  conv1_ = register_module("conv1", conv(in_channels, out_channels, 3));
  norm2_ = register_module("norm2", group_norm_32(out_channels));
  dropout_ = register_module("dropout", torch::nn::Dropout(torch::nn::DropoutOptions(dropout)));
  conv2_ = register_module("conv2", conv(out_channels, out_channels, 3));
  if (in_channels != out_channels)
    shortcut_ = conv_shortcut ? register_module("conv_shortcut", conv(in_channels, out_channels, 3))
                              : register_module("nin_shortcut", conv(in_channels, out_channels, 1));
}

at::Tensor ResnetBlockImpl::forward(const at::Tensor& x) {
  at::Tensor h = conv1_->forward(at::silu(norm_in_float32(norm1_, x)));
  h = conv2_->forward(dropout_->forward(at::silu(norm_in_float32(norm2_, h))));
  return (shortcut_ ? shortcut_->forward(x) : x) + h;
}

}  // namespace latentlab::nn
