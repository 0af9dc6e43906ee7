// latentlab datasets make|info
#include <chrono>
#include <iostream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command_table.h"
#include "core/error.h"
#include "core/options.h"
#include "core/progress.h"
#include "core/runtime.h"
#include "datasets/dataset_spec.h"
#include "datasets/export.h"
#include "datasets/pipeline.h"
#include "datasets/preprocess.h"
#include "io/results_json.h"

namespace latentlab::tools {
namespace {

int datasets_make_main(int argc, const char* const* argv) {
  std::string kind, out;
  int64_t n = 10000;
  int resolution = 64;
  bool grid = false;
  RuntimeOptions runtime;
  OptionGroup options("Options"), runtime_group("Runtime");
  options.add("out", &out, "Output folder (images/, attributes.csv, dataset.json); written atomically");
  options.add("n", &n, "Number of examples (random factor draws); ignored with --grid");
  options.add("res", &resolution, "Image side in pixels (shapes: 32..256; dsprites: 64)");
  options.add("grid", &grid, "Enumerate the full factor grid instead of sampling");
  runtime.register_options(runtime_group);
  CommandParser parser(
      {"datasets make", "Writes a procedural dataset with ground-truth factors as PNG files plus an attributes CSV.",
       "latentlab datasets make [options] shapes|dsprites",
       "latentlab datasets make shapes --n 10000 --res 64 --out data/shapes64", "latentlab datasets info"});
  parser.add(options);
  parser.add(runtime_group);
  parser.positional("KIND", &kind, "shapes or dsprites");
  if (!parser.parse(argc, argv)) return 0;
  if (out.empty()) fail_usage("--out", "is required");
  if (kind != "shapes" && kind != "dsprites") fail_usage(kind, "unknown kind (known: shapes, dsprites)");
  const Runtime rt = apply_runtime(runtime);
  std::string spec = fmt::format("{}:seed={}", kind, rt.seed);
  if (grid)
    spec += ",grid";
  else
    spec += fmt::format(",n={}", n);
  if (kind == "shapes" || resolution != 64) spec += fmt::format(",res={}", resolution);
  const auto source = datasets::open_dataset(spec);
#ifdef LATENTLAB_WITH_OPENCV
  const auto result = datasets::export_images(*source, out, rt.threads);
  std::cout << (result.skipped
                    ? fmt::format("{} already holds {} ({} images); nothing to do\n", out, source->info().spec,
                                  result.written)
                    : fmt::format("wrote {} images of {} to {}\n", result.written, source->info().spec, out));
  return 0;
#else
  fail_usage("datasets make", "writing PNG files needs OpenCV, which this build lacks");
#endif
}

int datasets_info_main(int argc, const char* const* argv) {
  std::string spec;
  int64_t scan = 256;
  bool json = false;
  OptionGroup options("Options");
  options.add("scan", &scan, "Examples read for the resolution and label histograms (0: all)");
  options.add("json", &json, "Print JSON instead of text");
  CommandParser parser({"datasets info", "Prints the size, resolutions, labels and attributes of a dataset.",
                        "latentlab datasets info [options] SPEC", "latentlab datasets info shapes:n=1000,res=64",
                        "latentlab datasets make"});
  parser.add(options);
  parser.positional("SPEC", &spec, std::string("Dataset: ") + datasets::dataset_spec_forms());
  if (!parser.parse(argc, argv)) return 0;
  if (scan < 0) fail_usage("--scan", "must be >= 0, got {}", scan);

  const auto source = datasets::open_dataset(spec);
  const auto& info = source->info();
  const int64_t count = scan == 0 ? info.size : std::min(scan, info.size);
  std::map<std::string, int64_t> resolutions;
  std::map<int64_t, int64_t> labels;
  for (int64_t i = 0; i < count; ++i) {
    // Spread the scan over the whole dataset rather than its first items.
    const auto example = source->get(count == info.size ? i : i * (info.size / count));
    resolutions[fmt::format("{}x{}", example.image.height, example.image.width)]++;
    labels[example.label]++;
  }
  nlohmann::json attributes = nlohmann::json::array();
  for (const auto& f : info.attributes) attributes.push_back({{"name", f.name}, {"values", f.values}});
  nlohmann::json label_counts = nlohmann::json::object();
  for (const auto& [label, n] : labels)
    label_counts[label >= 0 && label < static_cast<int64_t>(info.class_names.size()) ? info.class_names[label]
                                                                                     : std::to_string(label)] = n;
  const nlohmann::json doc = {{"spec", info.spec},
                              {"description", info.description},
                              {"size", info.size},
                              {"scanned", count},
                              {"resolutions", resolutions},
                              {"labels", label_counts},
                              {"class_names", info.class_names},
                              {"attributes", attributes}};
  if (json) {
    std::cout << doc.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format("{}\n  {}\n  size: {}\n", info.spec, info.description, info.size);
  std::cout << fmt::format("  resolutions (of {} scanned):", count);
  for (const auto& [r, n] : resolutions) std::cout << fmt::format(" {} x{}", r, n);
  std::cout << "\n  labels (scanned):";
  for (const auto& [name, n] : label_counts.items()) std::cout << fmt::format(" {}={}", name, n.get<int64_t>());
  std::cout << "\n";
  for (const auto& f : info.attributes) {
    std::string values;
    for (size_t v = 0; v < f.values.size() && v < 8; ++v) values += (v ? ", " : "") + f.values[v];
    if (f.values.size() > 8) values += ", …";
    std::cout << fmt::format("  attribute {:<12} {:>3} values: {}\n", f.name, f.values.size(), values);
  }
  return 0;
}

// Reads a whole dataset (or one shard) through the pipeline: every image decoded and preprocessed, bad ones
// reported, throughput measured. What to run before encoding a dataset into a latent store.
int check_main(int argc, const char* const* argv) {
  std::string spec, preprocess = "none", shard = "0/1", on_bad_image = "stop", out;
  int resolution = 256, batch_size = 64, prefetch = 4;
  RuntimeOptions runtime;
  OptionGroup options("Options"), runtime_group("Runtime");
  options.add_choice("preprocess", &preprocess, {"none", "adm-center-crop", "resize-center-crop", "center-crop"},
                     "Per-image preprocessing before batching");
  options.add("res", &resolution, "Output side for the preprocessing");
  options.add("shard", &shard, "Read only shard i of n (i/n); shards split the dataset without overlap");
  options.add_choice("on-bad-image", &on_bad_image, {"stop", "skip"},
                     "An unreadable image stops the run, or is skipped and listed in the results");
  options.add("batch-size", &batch_size, "Images per batch");
  options.add("prefetch", &prefetch, "Batches prepared ahead");
  options.add("out", &out, "Write a results JSON here (optional)");
  runtime.register_options(runtime_group);
  CommandParser parser({"datasets check",
                        "Reads every image of a dataset (or shard) through the threaded pipeline, reporting bad "
                        "images and throughput.",
                        "latentlab datasets check [options] SPEC",
                        "latentlab datasets check images:/data/imagenet/val --preprocess adm-center-crop --res 256",
                        "latentlab datasets info"});
  parser.add(options);
  parser.add(runtime_group);
  parser.positional("SPEC", &spec, std::string("Dataset: ") + datasets::dataset_spec_forms());
  if (!parser.parse(argc, argv)) return 0;
  const Runtime rt = apply_runtime(runtime);
  const auto [shard_index, shard_count] = datasets::parse_shard(shard, "--shard");
  const auto prep = datasets::make_preprocess(preprocess, resolution);
  const auto source = datasets::open_dataset(spec);

  datasets::PipelineOptions po;
  po.batch_size = batch_size, po.prefetch = prefetch, po.threads = rt.threads;
  po.shard_index = shard_index, po.shard_count = shard_count, po.skip_bad = on_bad_image == "skip";
  datasets::Pipeline pipeline(*source, po, prep.transform);
  ProgressBar bar("check", pipeline.examples(), "img");
  const auto start = std::chrono::steady_clock::now();
  int64_t images = 0;
  std::map<std::string, int64_t> sizes;
  while (auto batch = pipeline.next()) {
    images += batch->images.size(0);
    sizes[fmt::format("{}x{}", batch->images.size(2), batch->images.size(3))] += batch->images.size(0);
    bar.advance(batch->images.size(0));
  }
  bar.finish();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& s : pipeline.skipped()) skipped.push_back({{"index", s.index}, {"error", s.error}});
  if (!out.empty()) {
    const nlohmann::json protocol = {{"dataset", source->info().spec}, {"preprocess", prep.protocol}, {"shard", shard}};
    const nlohmann::json results = {{"images", images},         {"skipped", skipped.size()},
                                    {"skipped_items", skipped}, {"sizes", sizes},
                                    {"seconds", seconds},       {"images_per_second", images / seconds}};
    io::write_results(
        out, io::make_results({"datasets check", rt.device, rt.threads, parser.resolved()}, protocol, {}, results));
  }
  std::cout << fmt::format("{}: {} images read ({}), {} skipped, {:.0f} img/s\n", source->info().spec, images,
                           prep.protocol, skipped.size(), images / seconds);
  if (images == 0) fail(spec, "no image could be read");
  return 0;
}

}  // namespace

int datasets_main(int argc, const char* const* argv) {
  static const std::vector<Command> verbs = {
      {"make", "Write a procedural dataset (PNG + attributes CSV)", datasets_make_main},
      {"info", "Describe a dataset: size, resolutions, labels, attributes", datasets_info_main},
      {"check", "Read a dataset through the pipeline: bad images, throughput", check_main},
  };
  return run_group("datasets", verbs, argc, argv);
}

}  // namespace latentlab::tools
