// The glue between a dataset spec and extract_feature_set(): open the dataset, preprocess, stream it
// through the threaded pipeline (one shard of it), with a progress bar. Header-only on purpose: the
// latentlab_metrics library does not link latentlab_datasets (metrics and datasets are separate levels),
// so only the commands in tools/, which link both, include this file.
#pragma once
#include <algorithm>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "core/options.h"
#include "core/progress.h"
#include "datasets/dataset_spec.h"
#include "datasets/pipeline.h"
#include "datasets/preprocess.h"
#include "io/results_json.h"
#include "metrics/evaluate/evaluate.h"
#include "metrics/features/dinov2_extractor.h"
#include "metrics/features/inception_extractor.h"
#include "metrics/features/registry.h"
#include "metrics/features/teacher_extractor.h"

namespace latentlab::metrics {

struct ImageInputOptions {
  std::string preprocess = "none";  // datasets/preprocess.h
  int resolution = 256;             // for preprocessings that resize or crop
  int batch_size = 64;              // pipeline batch; results do not depend on it
  int threads = 1;                  // decode threads
  int shard_index = 0, shard_count = 1;
};

// Binds --preprocess, --res, --batch-size (threads come from the runtime, the shard from the command).
inline void register_image_input_options(OptionGroup& group, ImageInputOptions& o) {
  group.add_choice("preprocess", &o.preprocess, {"none", "adm-center-crop", "resize-center-crop", "center-crop"},
                   "Per-image preprocessing before the extractor (none: all images must share one size)");
  group.add("res", &o.resolution, "Output side of the preprocessing (ignored with --preprocess none)");
  group.add("batch-size", &o.batch_size, "Images decoded per pipeline batch; results do not depend on it");
}

// Streams `dataset_spec` through `extractor`; the protocol records the canonical spec, the preprocessing
// and the shard.
inline FeatureSet extract_images(const std::string& dataset_spec, FeatureExtractor& extractor, unsigned needs,
                                 const ImageInputOptions& options, const std::string& role) {
  const auto prep = datasets::make_preprocess(options.preprocess, options.resolution);
  const auto source = datasets::open_dataset(dataset_spec);
  datasets::PipelineOptions po;
  po.batch_size = options.batch_size;
  po.threads = options.threads;
  po.shard_index = options.shard_index;
  po.shard_count = options.shard_count;
  datasets::Pipeline pipeline(*source, po, prep.transform);
  ProgressBar bar(role, pipeline.examples(), "img");
  const ImageBatches next = [&]() -> std::optional<at::Tensor> {
    auto batch = pipeline.next();
    if (!batch) return std::nullopt;
    bar.advance(batch->images.size(0));
    return batch->images;
  };
  const nlohmann::json protocol = {
      {"dataset", source->info().spec},
      {"preprocess", prep.protocol},
      {"shard", std::to_string(options.shard_index) + "/" + std::to_string(options.shard_count)}};
  FeatureSet set = extract_feature_set(next, extractor, needs, protocol, role);
  bar.finish();
  return set;
}

// Makes the extractor when an image input needs one. `--extractor-weights` is required then (weights are
// never downloaded); errors of the file itself come from the extractor's loader.
inline std::unique_ptr<FeatureExtractor> make_inception(const FeatureExtractorOptions& options) {
  if (options.weights.empty())
    fail_usage("--extractor-weights",
               "is required for image inputs (pytorch-fid's "
               "pt_inception-2015-12-05-6726825d.pth, or a safetensors conversion; never downloaded)");
  return make_feature_extractor(kInceptionExtractorName, options, "--extractor");
}

// fd_dinov2 streams the images through DINOv2 (the architecture read from --extractor-weights), fd-teacher
// through the teacher of --features teacher:<spec>, every other metric through the Inception; one run has one
// extractor, so fd_dinov2 and fd-teacher run alone, and --features must name the metrics' own extractor.
inline std::unique_ptr<FeatureExtractor> make_extractor_for(const std::vector<std::string>& metric_names,
                                                            const FeatureExtractorOptions& options) {
  const auto has = [&](const char* name) {
    return std::find(metric_names.begin(), metric_names.end(), name) != metric_names.end();
  };
  const bool dinov2 = has(kKeyFdDinov2), teacher = has(kKeyFdTeacher);
  if ((dinov2 || teacher) && metric_names.size() > 1)
    fail_usage("--metrics",
               "{} uses its own features and the other metrics the Inception; ask for it in a run of its own",
               dinov2 ? kKeyFdDinov2 : kKeyFdTeacher);
  if (teacher != (options.features.rfind(kTeacherFeaturesPrefix, 0) == 0))
    fail_usage("--features", teacher ? "fd-teacher needs --features teacher:<spec>, e.g. "
                                       "teacher:procedural:teacher.safetensors"
                                     : "teacher features serve the metric fd-teacher only (never FID)");
  if (teacher) return make_features_extractor(options, "");
  const std::string own = dinov2 ? "dinov2" : kInceptionExtractorName;
  if (!options.features.empty() && options.features.rfind(own, 0) != 0)
    fail_usage("--features", "'{}' cannot serve {}, which need{} {} features", options.features,
               fmt::join(metric_names, ", "), metric_names.size() == 1 ? "s" : "", own);
  if (!dinov2) return make_inception(options);
  if (options.weights.empty())
    fail_usage("--extractor-weights",
               "is required for fd_dinov2 on image inputs (dinov2_vitl14_pretrain.pth for EDM2's FD-DINOv2, or a "
               "safetensors conversion; never downloaded)");
  return make_features_extractor(options, "dinov2");
}

// `stats make`: the extractor --features names (default the FID Inception) streams `spec` once; the moments of
// its global feature (first output) are kept, with the sFID spatial ones when it has that output.
inline FeatureSet make_feature_statistics(const std::string& spec, const FeatureExtractorOptions& options,
                                          const ImageInputOptions& images) {
  const auto extractor = options.features.empty() ? make_inception(options) : make_features_extractor(options, "");
  unsigned needs = kNeedPool3Stats;
  for (const auto& output : extractor->outputs())
    if (output.name == kFeatureSpatial) needs |= kNeedSpatialStats;
  return extract_images(spec, *extractor, needs, images, "stats");
}

// One line for `stats make`: "out.npz: 500 images of SPEC (shard 0/1), inception-2015-12-05 features 2048 +
// spatial 2023 moments", tagged when Inception weights are not the official file.
inline std::string describe_feature_statistics(const std::string& out, const FeatureSet& set,
                                               const std::string& shard) {
  const nlohmann::json& extractor = set.stats.protocol.at("extractor");
  const std::string name = extractor.value("extractor", "");
  std::string line = fmt::format("{}: {} images of {} (shard {}), {} features {}", out, set.count(), set.source, shard,
                                 name, set.stats.pool3->mu.size(0));
  if (set.stats.spatial) line += fmt::format(" + spatial {}", set.stats.spatial->mu.size(0));
  line += " moments";
  if (name == kInceptionExtractorName && !extractor.value("weights_official", false))
    line += " (unofficial Inception weights)";
  return line + "\n";
}

struct EvaluateRequest {
  GenerativeOptions metrics;
  std::string real;  // "" = none (IS only)
  std::string fake;
  // What errors about each input name: the options, or a command's positional arguments (`fid A B`).
  std::string real_subject = "--real", fake_subject = "--fake";
  FeatureExtractorOptions extractor;
  ImageInputOptions images;
};

struct EvaluateReport {
  nlohmann::json results;
  nlohmann::json protocol;
  std::vector<io::InputRecord> inputs;
};

// Reads or extracts both sides (each input streamed once) and computes the requested metrics.
inline EvaluateReport evaluate_inputs(const EvaluateRequest& request) {
  struct Side {
    std::string role, subject, text;
    bool real;
  };
  std::vector<Side> sides;
  if (!request.real.empty()) sides.push_back({"real", request.real_subject, request.real, true});
  sides.push_back({"fake", request.fake_subject, request.fake, false});
  std::vector<MetricInput> inputs;
  for (const auto& side : sides) inputs.push_back(parse_metric_input(side.text, side.subject));
  // Statistics first: their errors (KID from stats, ...) come before minutes of extraction.
  std::vector<std::optional<FeatureSet>> sets(sides.size());
  for (size_t i = 0; i < sides.size(); ++i)
    if (inputs[i].kind == MetricInput::Kind::Stats)
      sets[i] = load_stats_set(inputs[i], request.metrics.metrics, sides[i].real, sides[i].subject);
  std::unique_ptr<FeatureExtractor> extractor;
  for (size_t i = 0; i < sides.size(); ++i) {
    if (sets[i]) continue;
    if (!extractor) extractor = make_extractor_for(request.metrics.metrics, request.extractor);
    sets[i] = extract_images(inputs[i].spec, *extractor, needs_of(request.metrics.metrics, sides[i].real),
                             request.images, sides[i].role);
    sets[i]->source = inputs[i].to_string();
  }
  const FeatureSet* real = request.real.empty() ? nullptr : &*sets[0];
  const FeatureSet& fake = *sets.back();
  EvaluateReport report;
  report.results = compute_generative_metrics(request.metrics, real, fake);
  const nlohmann::json ex = extractor_protocol(real, fake);
  report.protocol = {{"extractor", ex},
                     {kKeyOfficialWeights, report.results[kKeyOfficialWeights]},
                     {"metric_options", request.metrics.to_json()},
                     {"sets", nlohmann::json::object()}};
  if (ex.is_object()) {
    report.protocol["resize"] = ex.value("resize", nlohmann::json());
    report.protocol["normalization"] = ex.value("normalization", nlohmann::json());
    report.protocol["weights_sha256"] = ex.value("weights_sha256", nlohmann::json());
  }
  for (size_t i = 0; i < sides.size(); ++i) {
    const FeatureSet& s = *sets[i];
    nlohmann::json p = s.stats.protocol.is_object() ? s.stats.protocol : nlohmann::json::object();
    p.erase("extractor");  // recorded once above
    report.protocol["sets"][sides[i].role] = {{"input", s.source},
                                              {"layout", s.stats.layout},
                                              {"count", s.count() >= 0 ? nlohmann::json(s.count()) : nlohmann::json()},
                                              {"protocol", p}};
    io::InputRecord record;
    record.role = sides[i].role;
    record.path = inputs[i].spec;
    if (inputs[i].kind == MetricInput::Kind::Stats) record = io::describe_input(sides[i].role, inputs[i].spec);
    record.protocol = s.stats.protocol;
    report.inputs.push_back(record);
  }
  if (extractor && !request.extractor.weights.empty())  // a teacher's weights are in its spec and protocol
    report.inputs.push_back(io::describe_input("extractor_weights", request.extractor.weights));
  return report;
}

}  // namespace latentlab::metrics
