// What one run of a trainer did (train-vae, train-ldm), and its common part of the results JSON.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "train/finite_check.h"

namespace latentlab::train {

struct TrainSummary {
  int64_t start_step = 0;  // where this run began (> 0 after a resume)
  int64_t end_step = 0;
  double seconds = 0;
  double steps_per_second = 0;
  LossTerms last_terms;  // the last step's terms
  std::string last_checkpoint;

  bool complete(int64_t total_steps) const { return end_step >= total_steps; }
  // The end of a run: its last step, its duration (steps_per_second follows from start_step), last terms and
  // checkpoint.
  void finish(int64_t end, double elapsed_seconds, const LossTerms& terms, const std::string& checkpoint);
};

// The named last terms as a JSON object ({"total": …, …}).
nlohmann::json terms_json(const LossTerms& terms);

// start_step, end_step, complete, seconds, steps_per_second, last_terms and last_checkpoint.
nlohmann::json summary_results(const TrainSummary& summary, int64_t total_steps);

}  // namespace latentlab::train
