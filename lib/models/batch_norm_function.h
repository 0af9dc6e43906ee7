// A replacement for a BatchNorm2d's training-mode forward, installed by a trainer into the models that hold
// BatchNorms (PatchGAN, the Send-VAE mapper): data-parallel training uses it for SyncBatchNorm
// (distributed/sync_batchnorm.h), so the models need not know about ranks. Given the module (its parameters,
// buffers and options) and the input, it returns the normalised input and updates the running statistics as
// the module's own forward would. Eval-mode forwards never call it.
#pragma once

#include <functional>

#include <ATen/core/Tensor.h>

namespace torch::nn {
class BatchNorm2dImpl;
}

namespace latentlab::models {

using BatchNormFunction = std::function<at::Tensor(torch::nn::BatchNorm2dImpl& norm, const at::Tensor& input)>;

}  // namespace latentlab::models
