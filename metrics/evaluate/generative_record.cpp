#include "metrics/evaluate/generative_record.h"

namespace latentlab::metrics {

GenerativeRecord record_generative_run(const GenerativeOptions& options, const std::vector<RecordedSet>& sets,
                                       const std::optional<io::InputRecord>& extractor_weights) {
  const FeatureSet* real = sets.size() > 1 ? sets.front().set : nullptr;
  const nlohmann::json ex = extractor_protocol(real, *sets.back().set);
  GenerativeRecord record;
  record.protocol = {
      {"extractor", ex},
      {kKeyOfficialWeights, ex.is_object() ? ex.value("weights_official", nlohmann::json()) : nlohmann::json()},
      {"metric_options", options.to_json()},
      {"sets", nlohmann::json::object()}};
  if (ex.is_object()) {
    record.protocol["resize"] = ex.value("resize", nlohmann::json());
    record.protocol["normalization"] = ex.value("normalization", nlohmann::json());
    record.protocol["weights_sha256"] = ex.value("weights_sha256", nlohmann::json());
  }
  for (const auto& side : sets) {
    const FeatureSet& s = *side.set;
    nlohmann::json p = s.stats.protocol.is_object() ? s.stats.protocol : nlohmann::json::object();
    p.erase("extractor");  // recorded once above
    record.protocol["sets"][side.role] = {{"input", s.source},
                                          {"layout", s.stats.layout},
                                          {"count", s.count() >= 0 ? nlohmann::json(s.count()) : nlohmann::json()},
                                          {"protocol", p}};
    io::InputRecord input;
    input.role = side.role;
    input.path = side.input.spec;
    if (side.input.kind == MetricInput::Kind::Stats) input = io::describe_input(side.role, side.input.spec);
    input.protocol = s.stats.protocol;
    record.inputs.push_back(input);
  }
  if (extractor_weights) record.inputs.push_back(*extractor_weights);
  return record;
}

}  // namespace latentlab::metrics
