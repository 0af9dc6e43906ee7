// What every trainer's step does around its own loss (train-vae, train-ldm, train-teacher): the scheduled
// learning rate, the backward whose gradients are averaged over ranks followed by clipping and the optimiser
// step, and the loss terms averaged over ranks for the log.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <ATen/core/Tensor.h>

#include "train/finite_check.h"
#include "train/lr_schedule.h"

namespace torch::optim {
class Optimizer;
}

namespace latentlab::distributed {
class Communicator;
class GradientSync;
}  // namespace latentlab::distributed

namespace latentlab::train {

// The learning rate of `step` under `schedule` from `base`, set on every parameter group; returned for the log.
double apply_schedule(torch::optim::Optimizer& optimizer, const LrSchedule& schedule, double base, int64_t step);

// zero_grad, backward of `loss` with `sync` averaging the gradients over ranks (null: one process), clipping
// of `parameters`' global L2 norm to `grad_clip` (0 = off; train/grad_clip.h), then the optimiser step.
// Returns the norm before clipping, when clipped.
std::optional<double> backward_and_step(torch::optim::Optimizer& optimizer, distributed::GradientSync* sync,
                                        const at::Tensor& loss, const std::vector<at::Tensor>& parameters,
                                        double grad_clip);

// Every term's value becomes its mean over ranks (one float64 all-reduce; unchanged with one process): with
// equal per-rank batches, the global batch's value.
void average_terms(distributed::Communicator& communicator, LossTerms& terms);

}  // namespace latentlab::train
