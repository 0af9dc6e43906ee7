// The procedural teacher's trainer behind `latentlab train-teacher` (models/teacher_procedural.h): AdamW on the
// summed cross-entropies of the taught factors' heads, with lib/train's services — checkpoints every N steps
// (network, optimiser, random generators, step, data position and the loss history), exact resume, a JSONL
// log, a learning-rate schedule, a non-finite stop — and data parallelism over lib/distributed.
//
// Data order: distributed::BatchPlan (seeded per-epoch permutations, the last partial batch dropped), so the
// batch of step s is a function of (seed, s) alone: resuming at step s continues exactly, and with n ranks
// rank r takes every n-th sample of the global batch. GroupNorm normalises per sample and every rank
// averages its cross-entropies over its B/n samples before the gradients are averaged over ranks, so n ranks
// compute the gradient of one process on the whole batch (up to summation order).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "models/teacher_procedural.h"
#include "models/teacher_procedural_train.h"
#include "train/finite_check.h"
#include "train/lr_schedule.h"

namespace latentlab {
class OptionGroup;
}
namespace latentlab::distributed {
class Communicator;
}

namespace latentlab::train {

struct TeacherTrainOptions {
  int64_t steps = 1000;
  int64_t batch_size = 64;  // the global batch: each of n ranks takes batch_size / n of it
  double lr = 2e-3;
  double weight_decay = 1e-4;
  double grad_clip = 0;  // global L2 norm; 0 = off
  LrSchedule schedule{"constant", 50, 0, 0.0};
  uint64_t seed = 0;             // the batch order
  std::string out;               // OUT/checkpoints/ and OUT/log.jsonl; "" = neither (tests)
  int64_t checkpoint_every = 0;  // 0 = only at the stop
  int keep_checkpoints = 2;      // 0 = all
  int64_t log_every = 10;
  std::string resume = "auto";  // auto (newest checkpoint in OUT/checkpoints, if any) | off | a checkpoint file

  // --steps, --batch-size, --lr, --weight-decay, --grad-clip, --lr-schedule, --warmup, --min-lr-ratio,
  // --checkpoint-every, --keep-checkpoints, --log-every, --resume.
  void register_options(OptionGroup& group);
  // Usage UserError naming the option; sets schedule.total_steps.
  void validate();
};

struct TeacherTrainSummary {
  int64_t start_step = 0;  // > 0 after a resume
  int64_t end_step = 0;
  double seconds = 0;           // this run's training time
  std::vector<double> losses;   // the summed cross-entropy of every step since step 0 (resumed runs included)
  std::string last_checkpoint;  // "" when none was written
};

class TeacherTrainer {
 public:
  // Trains `net` in place on `device` (the communicator's device when it is distributed). `data` must be the
  // same on every rank; `communicator` must outlive the trainer. Rank 0's initial weights go to every rank.
  TeacherTrainer(models::ProceduralTeacherNet net, const models::TeacherTrainingData& data, TeacherTrainOptions options,
                 const at::Device& device, distributed::Communicator& communicator);
  ~TeacherTrainer();
  TeacherTrainer(const TeacherTrainer&) = delete;
  TeacherTrainer& operator=(const TeacherTrainer&) = delete;

  // Applies options.resume: loads a checkpoint (every rank the same file) and returns its step, or 0.
  int64_t resume();
  // Trains until options.steps, or until `stop_at` when 0 < stop_at < steps; checkpoints every
  // checkpoint-every steps and at the stop. `on_step(step, loss)` after every step. UserError (subject
  // "loss") on a non-finite cross-entropy, before that step's update and checkpoint.
  TeacherTrainSummary run(int64_t stop_at = 0, const std::function<void(int64_t, double)>& on_step = {});
  // One optimiser step at the current step; returns the terms (ce_<factor>…, total, lr, grad_norm), averaged
  // over ranks.
  LossTerms train_step();
  void save_checkpoint();

  int64_t step() const;
  models::ProceduralTeacherNet& net();

  struct State;  // defined in teacher_trainer.cpp

 private:
  std::unique_ptr<State> s_;
};

}  // namespace latentlab::train
