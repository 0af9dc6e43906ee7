// Clipping of the global L2 norm of the parameters' gradients, as torch::nn::utils::clip_grad_norm_ computes
// it (per-gradient norms, the norm of their stack, coefficient max_norm / (norm + 1e-6) clamped to 1), but
// with multi-tensor kernels and without reading the norm back: LibTorch's version returns a double, which
// waits for the device in the middle of the step. Callers read the returned norm when they need it — after
// queueing the optimiser step.
#pragma once

#include <vector>

#include <ATen/core/Tensor.h>

namespace latentlab::train {

// Scales the defined gradients of `parameters` in place; returns their norm before clipping as a 0-dim tensor
// on their device (0 on the CPU when no parameter has a gradient).
at::Tensor clip_grad_norm(const std::vector<at::Tensor>& parameters, double max_norm);

}  // namespace latentlab::train
