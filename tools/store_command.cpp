// latentlab store info|verify|merge
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)
#include <nlohmann/json.hpp>

#include "command_table.h"
#include "core/error.h"
#include "core/options.h"
#include "core/runtime.h"
#ifdef LATENTLAB_WITH_HDF5
#include "store/merge.h"
#include "store/schema.h"
#include "store/verify.h"
#endif

namespace latentlab::tools {
#ifdef LATENTLAB_WITH_HDF5
namespace {

std::string numbers(const std::vector<double>& values) {
  std::string out;
  for (const double v : values) out += fmt::format("{}{:.4f}", out.empty() ? "" : " ", v);
  return out;
}

int store_info_main(int argc, const char* const* argv) {
  std::string path;
  bool json = false;
  OptionGroup options("Options");
  options.add("json", &json, "Print JSON instead of text");
  CommandParser parser({"store info",
                        "Prints the identity, shape, row counts and channel statistics of a latent store.",
                        "latentlab store info [options] STORE", "latentlab store info latents/imagenet256-f16d32.h5",
                        "latentlab store verify, latentlab store merge"});
  parser.add(options);
  parser.positional("STORE", &path, "An HDF5 latent store");
  if (!parser.parse(argc, argv)) return 0;
  const auto info = store::read_store_info(path);
  if (json) {
    std::cout << store::to_json(info).dump(2) << "\n";
    return 0;
  }
  const auto& id = info.header.identity;
  std::cout << fmt::format("{}: latent store, schema {}, {}\n", path, info.schema_version,
                           info.complete ? "complete" : "INCOMPLETE");
  std::cout << fmt::format("  rows: {} ({} written); latents {} x {} x {} {}; flips: {}; keys: {}\n", info.header.rows,
                           info.rows_written, id.latent_shape[0], id.latent_shape[1], id.latent_shape[2],
                           store::dtype_name(id.dtype), id.flip ? "yes" : "no",
                           id.key_width == 0 ? "int64" : fmt::format("strings of <= {} bytes", id.key_width));
  if (!id.attribute_names.empty()) std::cout << fmt::format("  attributes: {}\n", fmt::join(id.attribute_names, ", "));
  if (id.has_teacher_tokens())
    std::cout << fmt::format("  teacher tokens: {} x {} grid x {} {}{}; teacher: {}\n", id.teacher_grid[0],
                             id.teacher_grid[1], id.teacher_width, store::dtype_name(id.teacher_dtype),
                             id.flip ? " (and flipped)" : "", id.teacher);
  std::cout << fmt::format("  vae: sha256 {}\n  vae config: {}\n", id.vae_sha256, id.vae_config);
  std::cout << fmt::format("  dataset: {}\n  preprocessing: {}\n  shard: {}/{}\n", id.dataset_fingerprint,
                           id.preprocessing, id.shard_index, id.shard_count);
  std::cout << fmt::format("  channel mean: {}\n  channel std:  {}\n", numbers(info.channel_mean),
                           numbers(info.channel_std));
  std::cout << fmt::format("  created {} by latentlab {}; {:.1f} MiB\n", info.header.creation_time,
                           info.header.tool_version, info.layout.file_size / 1048576.0);
  return 0;
}

int verify_main(int argc, const char* const* argv) {
  std::vector<std::string> paths;
  int64_t batch_size = 1024;
  bool json = false;
  OptionGroup options("Options");
  options.add("batch-size", &batch_size, "Rows read at a time");
  options.add("json", &json, "Print one JSON report per store instead of text");
  CommandParser parser({"store verify",
                        "Re-reads latent stores: row counts, NaN/Inf values, and the channel statistics recomputed "
                        "in float64 against the stored ones. Exits 1 when a store has a problem.",
                        "latentlab store verify [options] STORE...", "latentlab store verify latents/celeba64.h5",
                        "latentlab store info"});
  parser.add(options);
  parser.positional_list("STORE", &paths, "HDF5 latent stores", 1);
  if (!parser.parse(argc, argv)) return 0;
  if (batch_size <= 0) fail_usage("--batch-size", "must be positive, got {}", batch_size);
  int bad = 0;
  for (const auto& path : paths) {
    const auto report = store::verify_store(path, batch_size);
    bad += !report.ok();
    if (json) {
      std::cout << store::to_json(report).dump(2) << "\n";
      continue;
    }
    std::cout << fmt::format("{}: {} ({} rows, {} non-finite values, statistics error {:.2g} of tolerance {:g})\n",
                             path, report.ok() ? "ok" : "PROBLEMS", report.rows_read, report.nonfinite,
                             report.max_statistics_error, store::kStatisticsTolerance);
    for (const auto& p : report.problems) std::cout << "  " << p << "\n";
  }
  if (bad > 0) fail(bad == 1 && paths.size() == 1 ? paths[0] : fmt::format("{} stores", bad), "verification failed");
  return 0;
}

int store_merge_main(int argc, const char* const* argv) {
  std::vector<std::string> shards;
  std::string out;
  store::MergeOptions merge;
  RuntimeOptions runtime;
  OptionGroup options("Options"), runtime_group("Runtime");
  runtime.register_options(runtime_group);
  options.add("out", &out, "The merged store (written as OUT.partial, renamed when complete; resumable)");
  options.add("force", &merge.force, "Replace an output store made from other shards");
  options.add("batch-size", &merge.batch_size, "Rows per committed batch");
  CommandParser parser({"store merge",
                        "Joins the shards of a cache run (--shard i/n) into one store, rows in dataset order, "
                        "statistics merged exactly.",
                        "latentlab store merge [options] SHARD...",
                        "latentlab store merge --out latents.h5 latents-0of2.h5 latents-1of2.h5",
                        "latentlab store verify"});
  parser.add(options);
  parser.add(runtime_group);
  parser.positional_list("SHARD", &shards, "Every shard i/n of one run, in any order", 1);
  if (!parser.parse(argc, argv)) return 0;
  apply_runtime(runtime);  // --quiet, --threads
  if (out.empty()) fail_usage("--out", "is required");
  if (merge.batch_size <= 0) fail_usage("--batch-size", "must be positive, got {}", merge.batch_size);
  const auto result = store::merge_shards(shards, out, merge);
  std::cout << (result.already_complete
                    ? fmt::format("{} already holds the {} rows of these {} shards; nothing to do\n", out, result.rows,
                                  result.shards)
                    : fmt::format("merged {} rows from {} shards into {}\n", result.rows, result.shards, out));
  return 0;
}

}  // namespace
#endif

int store_main(int argc, const char* const* argv) {
#ifdef LATENTLAB_WITH_HDF5
  static const std::vector<Command> verbs = {
      {"info", "Describe a latent store: identity, shape, rows, channel statistics", store_info_main},
      {"verify", "Re-check counts, NaN/Inf and statistics of latent stores", verify_main},
      {"merge", "Join the shards of a cache run into one store", store_merge_main},
  };
  return run_group("store", verbs, argc, argv);
#else
  fail_usage("store", "this build has no HDF5 latent store (libhdf5-dev was missing when it was configured)");
#endif
}

}  // namespace latentlab::tools
