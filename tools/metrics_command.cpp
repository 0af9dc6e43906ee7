// latentlab metrics: several generative metrics (FID, sFID, IS, KID, precision/recall) from one pass over
// each input; with --shard i/n, one shard's features only, for `latentlab metrics merge`
// (tools/metrics_merge_command.cpp).
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "core/error.h"
#include "core/options.h"
#include "core/runtime.h"
#include "distributed/launch_env.h"
#include "distributed/shard.h"
#include "io/results_json.h"
#include "metrics/evaluate/feature_shard.h"
#include "metrics/evaluate/generative_record.h"
#include "metrics/evaluate/image_batches.h"
#include "metrics/evaluate/shard_file.h"

namespace latentlab::tools {

int metrics_merge_main(int argc, const char* const* argv);

namespace {

// Extracts this shard's rows of every image input (statistics inputs are only checked and passed through),
// writes them to the shard file next to `out`, and `out` itself: a results JSON naming the shard file.
void write_metrics_shard(const metrics::EvaluateRequest& request, const metrics::MetricChoices& choices,
                         const distributed::Shard& shard, const std::string& out, const std::string& shard_file,
                         const io::ResultsContext& context) {
  std::vector<metrics::FeatureShardSide> sides;
  if (!request.real.empty()) sides.push_back({"real", metrics::parse_metric_input(request.real, "--real"), {}});
  sides.push_back({"fake", metrics::parse_metric_input(request.fake, "--fake"), {}});
  const auto& names = request.metrics.metrics;
  for (auto& side : sides)  // statistics first: their errors come before minutes of extraction
    if (side.input.kind == metrics::MetricInput::Kind::Stats)
      side.set = metrics::load_stats_set(side.input, names, side.role == "real", "--" + side.role);
  std::unique_ptr<metrics::FeatureExtractor> extractor;
  for (auto& side : sides) {
    if (side.input.kind == metrics::MetricInput::Kind::Stats) continue;
    if (!extractor) extractor = metrics::make_extractor_for(names, request.extractor);
    side.set = metrics::extract_images(side.input.spec, *extractor, metrics::needs_of(names, side.role == "real"),
                                       request.images, side.role);
    side.set.source = side.input.to_string();
  }
  metrics::write_feature_shard(shard_file, shard.index, shard.count, choices, sides);

  std::vector<metrics::RecordedSet> recorded;
  nlohmann::json results = {{"shard", shard.str()},
                            {metrics::kKeyShardFile, std::filesystem::path(shard_file).filename().string()}};
  for (const auto& side : sides) {
    recorded.push_back({side.role, side.input, &side.set});
    results["count_" + side.role] = side.set.count() >= 0 ? nlohmann::json(side.set.count()) : nlohmann::json();
  }
  std::optional<io::InputRecord> weights;
  if (extractor && !request.extractor.weights.empty())
    weights = io::describe_input("extractor_weights", request.extractor.weights);
  const auto record = metrics::record_generative_run(request.metrics, recorded, weights);
  io::write_results(out, io::make_results(context, record.protocol, record.inputs, results));
  std::cout << fmt::format("{}: shard {} ({} fake{}), features in {}\n", out, shard.str(), sides.back().set.count(),
                           sides.size() > 1 ? fmt::format(", {} real", sides.front().set.count()) : "", shard_file);
}

}  // namespace

int metrics_main(int argc, const char* const* argv) {
  if (argc > 1 && std::string(argv[1]) == "merge") {  // a verb beside the plain command
    std::vector<const char*> args{"metrics merge"};
    args.insert(args.end(), argv + 2, argv + argc);
    return metrics_merge_main(static_cast<int>(args.size()), args.data());
  }
  metrics::EvaluateRequest request;
  metrics::MetricChoices choices;
  std::string out, shard_spec;
  RuntimeOptions runtime;
  OptionGroup options("Options"), metric_group("Metric protocol"), extractor_group("Feature extractor"),
      runtime_group("Runtime");
  choices.register_options(options, metric_group);
  options.add("real", &request.real, std::string("Reference set: ") + metrics::metric_input_forms());
  options.add("fake", &request.fake, "Generated set (same forms; IS uses only this one)");
  options.add(
      "out", &out,
      std::string("Write the results JSON here (optional; required with --shard)") + distributed::kShardOutputHelp);
  options.add("shard", &shard_spec,
              "Only shard i of n of each image input (i/n: positions i, i + n, ...): saves its features in X.npz "
              "next to --out X.json for `latentlab metrics merge` (default: RANK/WORLD_SIZE when a launcher sets "
              "them, else 0/1; then --out needs {rank})");
  metrics::register_image_input_options(options, request.images);
  request.extractor.register_options(extractor_group);
  runtime.register_options(runtime_group);
  CommandParser parser({"metrics",
                        "Computes generative metrics between a reference set (--real) and a generated set (--fake); "
                        "each input is streamed once through the FID Inception (fd_dinov2: through the DINOv2 of "
                        "--extractor-weights, in a run of its own). Statistics files serve fid, sfid and fd_dinov2. "
                        "`latentlab metrics merge` joins the shards of a --shard run.",
                        "latentlab metrics --metrics fid,is,kid,pr,sfid --real R --fake F [--out results.json] "
                        "[--shard i/n]",
                        "latentlab metrics --metrics fid,sfid,is,pr --real VIRTUAL_imagenet256_labeled.npz --fake "
                        "samples.npz --extractor-weights pt_inception-2015-12-05-6726825d.pth --out m.json",
                        "latentlab metrics merge, latentlab fid, latentlab stats make"});
  parser.add(options);
  parser.add(metric_group);
  parser.add(extractor_group);
  parser.add(runtime_group);
  if (!parser.parse(argc, argv)) return 0;
  request.metrics = choices.resolve();
  if (request.fake.empty()) fail_usage("--fake", "is required");
  if (request.real.empty() && metrics::needs_of(request.metrics.metrics, true) != metrics::kNeedNothing)
    fail_usage("--real", "is required for the metrics asked for (only is needs no reference set)");
  const distributed::Shard shard = distributed::resolve_shard(shard_spec, distributed::read_launch_env());
  out = distributed::shard_output(out, shard, "--out");
  const std::string shard_file = shard.whole() ? "" : metrics::shard_file_for(out, "--out");
  const Runtime rt = apply_runtime(runtime);
  request.extractor.device = rt.device;
  request.images.threads = rt.threads;
  request.images.shard_index = shard.index, request.images.shard_count = shard.count;
  const io::ResultsContext context{"metrics", rt.device, rt.threads, parser.resolved()};
  if (!shard.whole()) {
    write_metrics_shard(request, choices, shard, out, shard_file, context);
    return 0;
  }
  const auto report = metrics::evaluate_inputs(request);
  if (!out.empty()) io::write_results(out, io::make_results(context, report.protocol, report.inputs, report.results));
  std::cout << metrics::summarize_generative_metrics(report.results);
  return 0;
}

}  // namespace latentlab::tools
