// SyncBatchNorm: a training-mode BatchNorm whose batch statistics are those of the global batch, all ranks
// together (torch.nn.SyncBatchNorm; TRAINING.md §11 — REPA-E trains its latent BatchNorm this way).
//
// Forward: every rank computes its per-channel count, mean and centred sum of squares in float64; one
// all-reduce gathers them (each rank fills its own row of a world × (2C + 1) buffer) and every rank merges the
// rows in rank order with Chan's formula, so all ranks hold bitwise the same global mean and biased variance.
// The input is normalised with them; the running statistics move as torch.nn.BatchNorm's would on the
// concatenated batch (momentum, unbiased variance; cumulative average when momentum is unset) and stay
// identical on every rank, so they need no averaging afterwards.
// Backward (an autograd Function): the terms that depend on the batch statistics, Σ dy and Σ dy·(x − mean) per
// channel, are all-reduced before the input gradient is formed; the weight and bias gradients stay this
// rank's own sums, averaged over ranks afterwards by GradientSync like any parameter gradient — what
// torch.nn.SyncBatchNorm does under DDP. With each rank's loss a mean over its rows, the averaged gradients
// equal one process's on the whole batch.
//
// Every rank must make the same calls in the same order (each forward and each backward runs a collective).
// Eval mode is the module's own forward (running statistics, no communication).
#pragma once

#include <ATen/core/Tensor.h>

namespace torch::nn {
class BatchNorm2dImpl;
}

namespace latentlab::distributed {

class Communicator;

// x: N×C×… (float, double, or half/bf16 computed in float). weight, bias: C or undefined (affine = false);
// running_mean, running_var: C or undefined (not tracked), updated in place with `factor` as momentum.
at::Tensor sync_batch_norm(Communicator& communicator, const at::Tensor& x, const at::Tensor& weight,
                           const at::Tensor& bias, const at::Tensor& running_mean, const at::Tensor& running_var,
                           double factor, double eps);

// The module's train-mode forward with global statistics (num_batches_tracked counts as in the module's own
// forward); its eval-mode forward unchanged.
at::Tensor sync_batch_norm(Communicator& communicator, torch::nn::BatchNorm2dImpl& norm, const at::Tensor& x);

}  // namespace latentlab::distributed
