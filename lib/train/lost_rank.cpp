#include "train/lost_rank.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <fmt/format.h>

#include "distributed/communicator.h"
#include "train/checkpoint.h"

namespace latentlab::train {

StepRecovery::StepRecovery(NamedGenerators generators, std::vector<at::Tensor> buffers)
    : tracking_(true), generators_(std::move(generators)), buffers_(std::move(buffers)) {}

void StepRecovery::begin(int64_t step) {
  step_ = step;
  stepped_ = false;
  if (!tracking_) return;
  saved_generators_ = capture_rng_states(generators_);  // a few kB
  saved_buffers_.clear();
  for (const at::Tensor& buffer : buffers_) saved_buffers_.push_back(buffer.detach().clone());
}

void StepRecovery::stepped() {
  stepped_ = true;
}

bool StepRecovery::can_undo(int64_t step) const {
  return step != step_ || !stepped_;  // the count moved past the step begun last, or it has not stepped yet
}

bool StepRecovery::undo(int64_t step) {
  if (!can_undo(step)) return false;
  if (step != step_ || !tracking_) return true;  // between steps, or nothing tracked
  restore_rng_states(saved_generators_, generators_, "the state before the step");
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < buffers_.size(); ++i) buffers_[i].detach().copy_(saved_buffers_[i]);
  return true;
}

void stop_after_lost_rank(const distributed::RankLost& lost, const distributed::Communicator& communicator,
                          StepRecovery* recovery, int64_t step, const std::string& dir,
                          const std::string& last_checkpoint, const std::function<std::string()>& save) {
  const auto last = [&] {
    return last_checkpoint.empty() ? std::string("there is no checkpoint to resume from")
                                   : "resume from " + last_checkpoint;
  };
  const bool complete = !recovery || (communicator.is_main() ? recovery->undo(step) : recovery->can_undo(step));
  const bool saved_already = !last_checkpoint.empty() && last_checkpoint == checkpoint_path(dir, step);
  std::string next;
  if (!save)
    next = last();
  else if (!complete)
    next = fmt::format("step {} was half done; {}", step + 1, last());
  else if (saved_already)
    next = fmt::format("resume from {} (step {}, the last completed one)", last_checkpoint, step);
  else if (step == 0)
    next = "no step was completed; " + last();
  else if (!communicator.is_main())
    next = fmt::format(
        "resume from the newest checkpoint in {}: step {} if rank 0 (unless it is the rank lost) saved "
        "it, else {}",
        dir, step, last_checkpoint.empty() ? "there is none" : last_checkpoint);
  else
    try {
      next = fmt::format("resume from {} (step {}, the last completed one, saved now)", save(), step);
    } catch (const std::exception& e) {
      next = fmt::format("saving step {} failed ({}); {}", step, e.what(), last());
    }
  throw distributed::RankLost(lost.subject(), lost.problem() + "; " + next);
}

}  // namespace latentlab::train
