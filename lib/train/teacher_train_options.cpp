// TeacherTrainOptions: the training options of `latentlab train-teacher` (docs/teachers.md).
#include "core/error.h"
#include "core/options.h"
#include "train/option_checks.h"
#include "train/teacher_trainer.h"

namespace latentlab::train {

void TeacherTrainOptions::register_options(OptionGroup& g) {
  g.add("steps", &steps, "Training steps");
  g.add("batch-size", &batch_size, "Images per step, all ranks together (each of n ranks takes 1/n)");
  g.add("lr", &lr, "AdamW learning rate");
  g.add("weight-decay", &weight_decay, "AdamW weight decay");
  g.add("grad-clip", &grad_clip, "Clip the global gradient L2 norm to this (0 = off)");
  g.add_choice("lr-schedule", &schedule.kind, {"constant", "cosine"}, "Learning-rate schedule after the warmup");
  g.add("warmup", &schedule.warmup_steps, "Steps of linear learning-rate warmup");
  g.add("min-lr-ratio", &schedule.min_ratio, "Cosine floor as a fraction of the learning rate");
  g.add("checkpoint-every", &checkpoint_every, "Checkpoint every N steps into OUT/checkpoints (0 = only at the end)");
  g.add("keep-checkpoints", &keep_checkpoints, "Checkpoints kept in OUT/checkpoints (0 = all)");
  g.add("log-every", &log_every, "Write an OUT/log.jsonl record every N steps");
  g.add("resume", &resume, "auto (latest checkpoint in OUT/checkpoints), off, or a checkpoint file");
}

void TeacherTrainOptions::validate() {
  require_at_least_one("--steps", steps);
  require_at_least_one("--batch-size", batch_size);
  if (!(lr > 0)) fail_usage("--lr", "must be positive, got {}", lr);
  require_non_negative("--weight-decay", weight_decay);
  require_non_negative("--grad-clip", grad_clip);
  require_non_negative("--warmup", static_cast<double>(schedule.warmup_steps));
  if (schedule.kind == "cosine" && schedule.warmup_steps >= steps)
    fail_usage("--warmup", "must be below --steps ({}) for a cosine schedule, got {}", steps, schedule.warmup_steps);
  require_non_negative("--checkpoint-every", static_cast<double>(checkpoint_every));
  require_non_negative("--keep-checkpoints", static_cast<double>(keep_checkpoints));
  require_at_least_one("--log-every", log_every);
  require_resume(resume);
  schedule.total_steps = steps;
  schedule.validate("--");
}

}  // namespace latentlab::train
