// torch::optim::AdamW whose step runs as a handful of multi-tensor kernels (at::_foreach_*) over all
// parameters instead of ~8 kernels per parameter: on CUDA a SiT-B/2 step launched ~1,100 small optimiser
// kernels, which PyTorch's default (foreach) AdamW does not. Options, per-parameter state (step, exp_avg,
// exp_avg_sq), save/load and hence checkpoints are AdamW's own; the arithmetic is AdamW::step's, op for op,
// so on the CPU (where the foreach ops loop over the same kernels) results are bitwise those of AdamW and on
// CUDA equal up to the last bit of a division. AMSGrad runs AdamW's own step.
#pragma once

#include <torch/optim/adamw.h>

namespace latentlab::train {

class ForeachAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  at::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace latentlab::train
