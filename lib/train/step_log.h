// The per-step record of a trainer's log.jsonl: step, epoch, every loss term, the steps per second since the
// previous record and the seconds since the run began. Shared by the trainers so that their logs read alike.
#pragma once

#include <chrono>
#include <cstdint>

#include "train/finite_check.h"
#include "train/jsonl_log.h"

namespace latentlab::train {

// Seconds from `start` until now (steady clock).
double seconds_since(std::chrono::steady_clock::time_point start);

class StepLogWriter {
 public:
  explicit StepLogWriter(JsonlLog& log);

  void count_step() { ++window_steps_; }
  // Writes the record and starts a new rate window.
  void write(int64_t step, int64_t epoch, const LossTerms& terms);

 private:
  JsonlLog& log_;
  std::chrono::steady_clock::time_point start_, window_start_;
  int64_t window_steps_ = 0;
};

}  // namespace latentlab::train
