// The protocol block and input records of a generative-metrics results JSON (docs/metrics.md "Results JSON"),
// from the feature sets a run compared: the extractor protocol once, official weights, the metric options,
// and per set its input, layout, count and own protocol (dataset spec, preprocessing, shard). `metrics merge`
// builds its record here from the merged sets, so that it equals the record of one unsharded `metrics` run;
// a sharded run records its shard's sets the same way.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/results_json.h"
#include "metrics/evaluate/evaluate.h"

namespace latentlab::metrics {

struct RecordedSet {
  std::string role;  // "real", "fake"
  MetricInput input;
  const FeatureSet* set = nullptr;
};

struct GenerativeRecord {
  nlohmann::json protocol;
  std::vector<io::InputRecord> inputs;
};

// `sets`: the real set first when there is one. `extractor_weights`: the weights file's record, when an
// extractor ran (appended last, as `metrics` does).
GenerativeRecord record_generative_run(const GenerativeOptions& options, const std::vector<RecordedSet>& sets,
                                       const std::optional<io::InputRecord>& extractor_weights);

}  // namespace latentlab::metrics
