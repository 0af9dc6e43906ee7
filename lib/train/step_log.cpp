#include "train/step_log.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace latentlab::train {
namespace {

double seconds_between(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

double seconds_since(std::chrono::steady_clock::time_point start) {
  return seconds_between(start, std::chrono::steady_clock::now());
}

StepLogWriter::StepLogWriter(JsonlLog& log)
    : log_(log), start_(std::chrono::steady_clock::now()), window_start_(start_) {}

void StepLogWriter::write(int64_t step, int64_t epoch, const LossTerms& terms) {
  const auto now = std::chrono::steady_clock::now();
  nlohmann::json record = {{"step", step}, {"epoch", epoch}};
  for (const auto& [name, value] : terms) record[name] = value;
  record["steps_per_s"] = window_steps_ / std::max(1e-9, seconds_between(window_start_, now));
  record["elapsed_s"] = seconds_between(start_, now);
  log_.write(record);
  window_start_ = now;
  window_steps_ = 0;
}

}  // namespace latentlab::train
