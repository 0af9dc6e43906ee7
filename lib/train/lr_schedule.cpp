#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace latentlab::train {

void LrSchedule::validate(const std::string& option_prefix) const {
  if (kind != "constant" && kind != "cosine")
    fail_usage(option_prefix + "lr-schedule", "must be constant or cosine, got '{}'", kind);
  if (warmup_steps < 0) fail_usage(option_prefix + "warmup-steps", "must be >= 0, got {}", warmup_steps);
  if (!(min_ratio >= 0.0 && min_ratio <= 1.0))
    fail_usage(option_prefix + "min-lr-ratio", "must be in [0, 1], got {}", min_ratio);
  if (kind == "cosine" && total_steps <= warmup_steps)
    fail_usage(option_prefix + "warmup-steps", "must be below the run length ({}) for a cosine schedule, got {}",
               total_steps, warmup_steps);
}

double LrSchedule::learning_rate(double base, int64_t step) const {
  if (step < warmup_steps) return base * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  if (kind == "constant") return base;
  const double span = static_cast<double>(std::max<int64_t>(1, total_steps - warmup_steps));
  const double p = std::clamp(static_cast<double>(step - warmup_steps) / span, 0.0, 1.0);
  const double floor = min_ratio * base;
  return floor + (base - floor) * 0.5 * (1.0 + std::cos(M_PI * p));
}

}  // namespace latentlab::train
