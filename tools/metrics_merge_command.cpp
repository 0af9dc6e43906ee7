// latentlab metrics merge: the metrics of a sharded `latentlab metrics --shard i/n` run, from its shards'
// results JSONs and feature shard files (metrics/evaluate/feature_shard.h), equal to one unsharded run.
#include <iostream>

#include "core/error.h"
#include "io/results_json.h"
#include "metrics/evaluate/feature_shard.h"
#include "metrics/evaluate/generative_record.h"
#include "metrics/evaluate/shard_file.h"
#include "shard_merge_setup.h"

namespace latentlab::tools {

int metrics_merge_main(int argc, const char* const* argv) {
  ShardMergeSetup setup;
  if (!setup.parse({"metrics merge",
                    "Computes the metrics of a `latentlab metrics --shard i/n` run from all its shards: rows put "
                    "back in dataset order and moments merged, so IS, KID and precision/recall equal one "
                    "unsharded run exactly and FID/sFID/FD to float64 rounding.",
                    "latentlab metrics merge SHARD.json [SHARD.json ...] [--out results.json]",
                    "latentlab metrics merge part_0.json part_1.json part_2.json --out m.json",
                    "latentlab metrics, latentlab stats merge"},
                   "The shards' results JSONs (metrics --shard i/n --out X.json), any order", argc, argv))
    return 0;
  const auto& shards = setup.shards;
  std::vector<std::string> files;
  std::vector<nlohmann::json> documents;
  for (const auto& path : shards) {
    documents.push_back(io::read_results(path));
    files.push_back(metrics::shard_file_of(path, documents.back(), "metrics"));
  }
  const auto merged = metrics::merge_feature_shards(files);
  const metrics::GenerativeOptions options_used = merged.choices.resolve();
  const auto recorded_options = documents[0].at(io::kKeyProtocol).value("metric_options", nlohmann::json());
  if (options_used.to_json() != recorded_options)
    fail(shards[0],
         "records metric options {}, but its choices resolve to {} in this build; merge with the build "
         "that made the shards",
         recorded_options.dump(), options_used.to_json().dump());

  std::vector<metrics::RecordedSet> sets;
  for (const auto& side : merged.sides) sets.push_back({side.role, side.input, &side.set});
  const metrics::FeatureSet* real = sets.size() > 1 ? sets.front().set : nullptr;
  const nlohmann::json results = metrics::compute_generative_metrics(options_used, real, *sets.back().set);
  std::optional<io::InputRecord> weights;  // as the shards saw them (the file may live elsewhere)
  for (const auto& input : metrics::input_records(documents[0]))
    if (input.role == "extractor_weights") weights = input;
  auto record = metrics::record_generative_run(options_used, sets, weights);
  for (const auto& path : shards) record.inputs.push_back(io::describe_input("shard", path));
  if (!setup.out.empty())
    io::write_results(setup.out, io::make_results(setup.context, record.protocol, record.inputs, results));
  std::cout << metrics::summarize_generative_metrics(results);
  return 0;
}

}  // namespace latentlab::tools
