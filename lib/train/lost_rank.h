// A lost rank in a data-parallel trainer (issue #10; docs/distributed.md, "A lost rank"). A collective that
// fails because another rank died or stopped answering throws distributed::RankLost on every surviving rank.
// Each trainer's run() catches it and calls stop_after_lost_rank(), which throws it again with the checkpoint
// to resume from added to its one line:
//
//  - rank 0, when its state is that of the last completed step, first saves that step with the trainer's own
//    checkpoint writer (atomic; distributed::write_on_rank0 writes without waiting once a rank is lost) and
//    names the file;
//  - rank 0 in the middle of a half-done step names the last checkpoint (or says there is none);
//  - every other rank cannot know whether rank 0 survived: it names the checkpoint directory, the step rank 0
//    saves there if it is alive, and the last checkpoint written before.
//
// When is the state a completed step's? Weights, optimiser states and EMA change only from a step's first
// optimizer.step() on, and neither optimiser steps nor EMA updates communicate, so a RankLost thrown before
// the first optimiser step leaves them as the previous step left them. What a step changes earlier — the
// random generators it draws from, BatchNorm running statistics — StepRecovery copies when the step begins
// and puts back. A RankLost after the first optimiser step and before the step count moves (train-vae: in
// the discriminator's step after the VAE's, or while averaging per-rank BatchNorm buffers) leaves a half-done
// step: nothing is saved. train-ldm and train-teacher need no StepRecovery: their steps draw only from
// generators seeded by the step (or from none), hold no BatchNorm, and nothing after their one optimiser step
// communicates, so whenever they throw RankLost their state is the last completed step's.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "io/array.h"
#include "train/rng_state.h"

namespace latentlab::distributed {
class Communicator;
class RankLost;
}  // namespace latentlab::distributed

namespace latentlab::train {

class StepRecovery {
 public:
  // Nothing tracked: begin() and stepped() only mark where the step is (a one-process trainer, which is
  // never stopped by a lost rank, tracks nothing and copies nothing).
  StepRecovery() = default;
  // `generators`: the trainer's own (the process-wide CPU and CUDA generators are always included, as in
  // checkpoints, train/rng_state.h); `buffers`: tensors a step changes in place before its first optimiser
  // step (BatchNorm running statistics). Both are copied at every begin().
  StepRecovery(NamedGenerators generators, std::vector<at::Tensor> buffers);

  void begin(int64_t step);  // step `step` (0-based, = the trainer's count of completed steps) starts
  void stepped();            // its first optimiser step ran: from now on it cannot be undone
  // Whether the state at the trainer's count `step` is a completed step's, putting back what the running step
  // changed before its first optimiser step. False in a half-done step.
  bool undo(int64_t step);
  bool can_undo(int64_t step) const;  // the same answer, changing nothing

 private:
  bool tracking_ = false;
  NamedGenerators generators_;
  std::vector<at::Tensor> buffers_;
  io::NamedArrays saved_generators_;
  std::vector<at::Tensor> saved_buffers_;
  int64_t step_ = -1;     // the step begun last
  bool stepped_ = false;  // its first optimiser step ran
};

// In a trainer's `catch (const distributed::RankLost& lost)`: throws RankLost with `lost`'s line and the
// checkpoint to resume from. `recovery`: null for a trainer whose state is always a completed step's when it
// throws RankLost; `step`: the trainer's count of completed steps; `dir`: its checkpoint directory;
// `last_checkpoint`: the last one written ("" for none); `save`: the trainer's checkpoint writer, returning the
// path written (empty function: the trainer writes no checkpoints). Rank 0 saves when its state is step
// `step`'s (recovery->undo(step)), unless `last_checkpoint` is that step's file already or `step` is 0.
[[noreturn]] void stop_after_lost_rank(const distributed::RankLost& lost, const distributed::Communicator& communicator,
                                       StepRecovery* recovery, int64_t step, const std::string& dir,
                                       const std::string& last_checkpoint, const std::function<std::string()>& save);

}  // namespace latentlab::train
