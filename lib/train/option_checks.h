// The checks trainer options share (train-vae, train-ldm, train-teacher): each throws a usage UserError naming
// the option and the value, with the same wording in every command.
#pragma once

#include <cstdint>
#include <string>

namespace latentlab::train {

void require_at_least_one(const char* option, int64_t value);  // "must be >= 1"
void require_non_negative(const char* option, double value);   // "must be >= 0" (NaN fails)
// --lr and --adam-eps > 0, --beta1 and --beta2 in [0, 1).
void require_adamw(double lr, double beta1, double beta2, double adam_eps);
void require_ema(double ema);                    // --ema: 0 (off) or in (0, 1)
void require_resume(const std::string& resume);  // --resume: not empty

}  // namespace latentlab::train
