// Normalisation layers computed in float32 whatever their input's type, returning float32: CUDA autocast's
// policy for group_norm / layer_norm / batch_norm, made explicit because LibTorch 1.13's CPU autocast passes a
// bfloat16 input to kernels that refuse it beside float32 affine weights ("expected scalar type BFloat16 but
// found Float"). On a float32 input it is exactly norm->forward(x).
#pragma once

#include <ATen/ATen.h>

namespace latentlab::nn {

// `norm`: a module holder (torch::nn::GroupNorm, LayerNorm, BatchNorm2d, ...).
template <typename Norm>
at::Tensor norm_in_float32(Norm& norm, const at::Tensor& x) {
  return norm->forward(x.scalar_type() == at::kFloat ? x : x.to(at::kFloat));
}

}  // namespace latentlab::nn
