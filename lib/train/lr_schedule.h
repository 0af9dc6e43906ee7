// Learning-rate schedules as plain functions of the step (LibTorch 1.13 has only StepLR; the value is applied
// with compat::set_learning_rate). Steps count from 0 (the first optimiser step is step 0):
//   warmup     lr = base·(step + 1)/warmup for step < warmup (linear from base/warmup up to base)
//   constant   lr = base afterwards
//   cosine     lr = floor + (base − floor)·½(1 + cos(π·p)), p = (step − warmup)/(total − warmup) clamped to [0, 1],
//              floor = min_ratio·base, so it reaches the floor at step `total`
#pragma once

#include <cstdint>
#include <string>

namespace latentlab::train {

struct LrSchedule {
  std::string kind = "constant";  // constant | cosine
  int64_t warmup_steps = 0;
  int64_t total_steps = 0;  // the cosine horizon (the run length)
  double min_ratio = 0.0;   // cosine floor as a fraction of the base rate

  // Usage UserError naming `option_prefix` + the field ("--lr-schedule", "--warmup-steps", …).
  void validate(const std::string& option_prefix = "--") const;
  double learning_rate(double base, int64_t step) const;
};

}  // namespace latentlab::train
