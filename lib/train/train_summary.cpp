#include "train/train_summary.h"

#include <algorithm>

namespace latentlab::train {

void TrainSummary::finish(int64_t end, double elapsed_seconds, const LossTerms& terms, const std::string& checkpoint) {
  end_step = end;
  seconds = elapsed_seconds;
  steps_per_second = (end_step - start_step) / std::max(1e-9, seconds);
  last_terms = terms;
  last_checkpoint = checkpoint;
}

nlohmann::json terms_json(const LossTerms& terms) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : terms) out[name] = value;
  return out;
}

nlohmann::json summary_results(const TrainSummary& summary, int64_t total_steps) {
  return {{"start_step", summary.start_step},
          {"end_step", summary.end_step},
          {"complete", summary.complete(total_steps)},
          {"seconds", summary.seconds},
          {"steps_per_second", summary.steps_per_second},
          {"last_terms", terms_json(summary.last_terms)},
          {"last_checkpoint", summary.last_checkpoint}};
}

}  // namespace latentlab::train
