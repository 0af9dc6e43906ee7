// The command-line choices behind GenerativeOptions: the metric names and the protocol options `latentlab
// metrics` exposes. A sharded run saves them in its shard files, so `metrics merge` computes with exactly the
// options the shards were made for (and checks that they resolve to the metric_options the shards recorded).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics/evaluate/evaluate.h"

namespace latentlab {
class OptionGroup;
}

namespace latentlab::metrics {

struct MetricChoices {
  std::vector<std::string> metrics;        // --metrics as given (comma lists, repeatable)
  std::string is_mode = "torch-fidelity";  // or "adm"
  int64_t kid_subsets = KidOptions{}.subsets;
  int64_t kid_subset_size = KidOptions{}.subset_size;
  int64_t pr_k = ManifoldOptions{}.pr_k;
  int64_t dc_k = ManifoldOptions{}.dc_k;

  // --metrics into `options`; --is-mode, --kid-subsets, --kid-subset-size, --pr-k, --dc-k into `protocol`.
  void register_options(OptionGroup& options, OptionGroup& protocol);
  // Parses the names (usage UserError naming --metrics) and applies the protocol options.
  GenerativeOptions resolve() const;
  nlohmann::json to_json() const;
  // Errors name `subject` (the file the JSON came from).
  static MetricChoices from_json(const nlohmann::json& json, const std::string& subject);
};

}  // namespace latentlab::metrics
