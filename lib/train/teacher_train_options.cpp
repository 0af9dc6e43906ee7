// TeacherTrainOptions: the training options of `latentlab train-teacher` (docs/teachers.md).
#include "core/error.h"
#include "core/options.h"
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
  if (steps < 1) fail_usage("--steps", "must be >= 1, got {}", steps);
  if (batch_size < 1) fail_usage("--batch-size", "must be >= 1, got {}", batch_size);
  if (!(lr > 0)) fail_usage("--lr", "must be positive, got {}", lr);
  if (!(weight_decay >= 0)) fail_usage("--weight-decay", "must be >= 0, got {}", weight_decay);
  if (!(grad_clip >= 0)) fail_usage("--grad-clip", "must be >= 0, got {}", grad_clip);
  if (schedule.warmup_steps < 0) fail_usage("--warmup", "must be >= 0, got {}", schedule.warmup_steps);
  if (schedule.kind == "cosine" && schedule.warmup_steps >= steps)
    fail_usage("--warmup", "must be below --steps ({}) for a cosine schedule, got {}", steps, schedule.warmup_steps);
  if (checkpoint_every < 0) fail_usage("--checkpoint-every", "must be >= 0, got {}", checkpoint_every);
  if (keep_checkpoints < 0) fail_usage("--keep-checkpoints", "must be >= 0, got {}", keep_checkpoints);
  if (log_every < 1) fail_usage("--log-every", "must be >= 1, got {}", log_every);
  if (resume.empty()) fail_usage("--resume", "must be auto, off or a checkpoint file");
  schedule.total_steps = steps;
  schedule.validate("--");
}

}  // namespace latentlab::train
