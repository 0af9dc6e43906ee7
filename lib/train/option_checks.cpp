#include "train/option_checks.h"

#include <utility>

#include "core/error.h"

namespace latentlab::train {

void require_at_least_one(const char* option, int64_t value) {
  if (value < 1) fail_usage(option, "must be >= 1, got {}", value);
}

void require_non_negative(const char* option, double value) {
  if (!(value >= 0.0)) fail_usage(option, "must be >= 0, got {}", value);
}

void require_adamw(double lr, double beta1, double beta2, double adam_eps) {
  if (!(lr > 0)) fail_usage("--lr", "must be > 0, got {}", lr);
  if (!(adam_eps > 0)) fail_usage("--adam-eps", "must be > 0, got {}", adam_eps);
  for (const auto& [option, v] : {std::pair{"--beta1", beta1}, {"--beta2", beta2}})
    if (!(v >= 0 && v < 1)) fail_usage(option, "must be in [0, 1), got {}", v);
}

void require_ema(double ema) {
  if (!(ema == 0.0 || (ema > 0.0 && ema < 1.0))) fail_usage("--ema", "must be 0 (off) or in (0, 1), got {}", ema);
}

void require_resume(const std::string& resume) {
  if (resume.empty()) fail_usage("--resume", "must be auto, off or a checkpoint file");
}

}  // namespace latentlab::train
