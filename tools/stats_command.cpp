// latentlab stats make|merge|info: feature statistics files for FID and sFID (metrics/evaluate/stats_set.h).
#include <iostream>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "command_table.h"
#include "core/error.h"
#include "core/options.h"
#include "core/runtime.h"
#include "datasets/pipeline.h"
#include "distributed/launch_env.h"
#include "distributed/shard.h"
#include "metrics/evaluate/image_batches.h"

namespace latentlab::tools {
namespace {

int stats_make_main(int argc, const char* const* argv) {
  std::string spec, out, shard;
  metrics::FeatureExtractorOptions extractor_options;
  metrics::ImageInputOptions image_options;
  RuntimeOptions runtime;
  OptionGroup options("Options"), extractor_group("Feature extractor"), runtime_group("Runtime");
  options.add("out", &out,
              std::string("The statistics file to write (.npz; pytorch-fid and ADM's evaluator read it too)") +
                  distributed::kShardOutputHelp);
  options.add("shard", &shard,
              "Only shard i of n (i/n: positions i, i + n, ...); add the shards with `latentlab stats merge` "
              "(default: RANK/WORLD_SIZE when a launcher sets them, else 0/1; then --out needs {rank})");
  metrics::register_image_input_options(options, image_options);
  extractor_options.register_options(extractor_group);
  runtime.register_options(runtime_group);
  CommandParser parser({"stats make",
                        "Streams a dataset through the FID Inception once and writes the float64 moments of its "
                        "pool3 (FID) and spatial (sFID) features with the full protocol (--features dinov2: the "
                        "CLS features of FD-DINOv2; teacher:<spec>: fd-teacher's). Shards merge exactly.",
                        "latentlab stats make SPEC --out stats.npz [--shard i/n] --extractor-weights FILE",
                        "latentlab stats make images:/data/imagenet/val --preprocess adm-center-crop --res 256 "
                        "--extractor-weights pt_inception-2015-12-05-6726825d.pth --out val256.npz",
                        "latentlab stats merge, latentlab stats info, latentlab fid"});
  parser.add(options);
  parser.add(extractor_group);
  parser.add(runtime_group);
  parser.positional("SPEC", &spec, std::string("Dataset: ") + datasets::dataset_spec_forms());
  if (!parser.parse(argc, argv)) return 0;
  if (out.empty()) fail_usage("--out", "is required");
  const distributed::Shard resolved = distributed::resolve_shard(shard, distributed::read_launch_env());
  out = distributed::shard_output(out, resolved, "--out");
  image_options.shard_index = resolved.index, image_options.shard_count = resolved.count;
  shard = resolved.str();
  const metrics::MetricInput input = metrics::parse_metric_input(spec, "SPEC");
  if (input.kind == metrics::MetricInput::Kind::Stats)
    fail_usage("SPEC", "{} is already a statistics file; stats make needs images", input.to_string());
  const Runtime rt = apply_runtime(runtime);
  extractor_options.device = rt.device;
  image_options.threads = rt.threads;
  const auto set = metrics::make_feature_statistics(input.spec, extractor_options, image_options);
  metrics::write_feature_stats(out, set.stats);
  std::cout << metrics::describe_feature_statistics(out, set, shard);
  return 0;
}

int stats_merge_main(int argc, const char* const* argv) {
  std::vector<std::string> files;
  std::string out;
  RuntimeOptions runtime;
  OptionGroup options("Options"), runtime_group("Runtime");
  options.add("out", &out, "The merged statistics file to write");
  runtime.register_options(runtime_group);
  CommandParser parser({"stats merge",
                        "Adds the moments of statistics files written by `stats make --shard` (same protocol), "
                        "exactly: count, mean and co-moments combine pairwise in float64.",
                        "latentlab stats merge A B [C ...] --out D",
                        "latentlab stats merge s0.npz s1.npz --out all.npz",
                        "latentlab stats make, latentlab stats info"});
  parser.add(options);
  parser.add(runtime_group);
  parser.positional_list("FILES", &files, "latentlab statistics files, in shard order", 1);
  if (!parser.parse(argc, argv)) return 0;
  if (out.empty()) fail_usage("--out", "is required");
  apply_runtime(runtime);
  const auto merged = metrics::merge_feature_stats(files);
  metrics::write_feature_stats(out, merged);
  std::cout << fmt::format("{}: {} images from {} files, shard {}\n", out, merged.count, files.size(),
                           merged.protocol.value("shard", "?"));
  return 0;
}

int stats_info_main(int argc, const char* const* argv) {
  std::string file;
  RuntimeOptions runtime;
  OptionGroup runtime_group("Runtime");
  runtime.register_options(runtime_group);
  CommandParser parser({"stats info", "Describes a statistics file: layout, count, dimensions, protocol.",
                        "latentlab stats info FILE", "latentlab stats info VIRTUAL_imagenet256_labeled.npz",
                        "latentlab stats make"});
  parser.add(runtime_group);
  parser.positional("FILE", &file, "A latentlab, pytorch-fid or ADM reference statistics .npz");
  if (!parser.parse(argc, argv)) return 0;
  apply_runtime(runtime);
  const auto s = metrics::read_feature_stats(file);
  std::cout << fmt::format("{}\n  layout: {}\n  count: {}\n  pool3: {} dims\n  spatial: {}\n", file, s.layout,
                           s.count >= 0 ? std::to_string(s.count) : "unknown", s.pool3->mu.size(0),
                           s.spatial ? std::to_string(s.spatial->mu.size(0)) + " dims" : "none");
  if (!s.protocol.is_null()) std::cout << "  protocol: " << s.protocol.dump(2) << "\n";
  return 0;
}

}  // namespace

int stats_main(int argc, const char* const* argv) {
  static const std::vector<Command> verbs = {
      {"make", "Write FID/sFID feature statistics of a dataset (or one shard of it)", stats_make_main},
      {"merge", "Merge shard statistics files exactly", stats_merge_main},
      {"info", "Describe a statistics file", stats_info_main},
  };
  return run_group("stats", verbs, argc, argv);
}

}  // namespace latentlab::tools
