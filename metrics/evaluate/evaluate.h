// One pass of a feature set through a feature extractor, feeding every requested generative metric, and
// the metrics computed from two such sets (docs/metrics.md "Commands").
//
//   FeatureSet real = extract_feature_set(batches, extractor, needs_of(names, true), protocol);
//   FeatureSet fake = load_stats_set(input, names, false, "--fake");   // or from images
//   json results = compute_generative_metrics(options, &real, fake);
//
// Streaming: FID/sFID accumulate float64 running moments (exact across batches and shards); IS keeps the
// unbiased logits and KID / precision-recall keep the pool3 rows (float32), since their definitions need
// every row. Only what `needs` asks for is kept.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "metrics/evaluate/input_spec.h"
#include "metrics/evaluate/metric_registry.h"
#include "metrics/evaluate/stats_set.h"
#include "metrics/features/feature_extractor.h"
#include "metrics/generative/inception_score.h"
#include "metrics/generative/kid.h"
#include "metrics/generative/precision_recall.h"

namespace latentlab::metrics {

struct FeatureSet {
  std::string role;       // "real", "fake"
  std::string source;     // the input's canonical spelling (MetricInput::to_string)
  FeatureStats stats;     // moments and/or mu, sigma; stats.protocol describes the set
  at::Tensor pool3_rows;  // (N, 2048) float32 CPU, when kNeedPool3Rows was asked for
  at::Tensor logits;      // (N, 1008) float32 CPU, when kNeedLogits was asked for
  int64_t count() const { return stats.count; }
};

// Yields the next batch of uint8 images, (n, 3, H, W) (the datasets pipeline's layout), or nullopt at the end.
using ImageBatches = std::function<std::optional<at::Tensor>()>;

// The union of what `metric_names` need from the real (`real` = true) or the generated set.
unsigned needs_of(const std::vector<std::string>& metric_names, bool real);

// Streams every batch once through `extractor`. `protocol` describes the images (dataset spec, preprocess,
// shard); the extractor's protocol is added under "extractor". Throws UserError ("features") for fewer than
// 2 images when moments are asked for. Gives the allocator's free memory back at the end
// (release_free_memory(), core/allocator.h).
FeatureSet extract_feature_set(const ImageBatches& next, FeatureExtractor& extractor, unsigned needs,
                               nlohmann::json protocol, const std::string& role);

// Reads a statistics input, checking first that it can serve `metric_names` for this side: a usage
// UserError naming `subject` lists the metrics that need images (IS, KID, PR) or spatial statistics
// the file lacks (sFID from a pytorch-fid file).
FeatureSet load_stats_set(const MetricInput& input, const std::vector<std::string>& metric_names, bool real,
                          const std::string& subject);

struct GenerativeOptions {
  std::vector<std::string> metrics;  // registry names, in output order
  InceptionScoreOptions is;
  KidOptions kid;
  ManifoldOptions pr;
  nlohmann::json to_json() const;  // the options of the requested metrics (for the protocol block)
};

// Splits "fid,is" (also accepting repeats of the option) into known names, deduplicated, in order.
std::vector<std::string> parse_metric_names(const std::vector<std::string>& values, const std::string& subject);

// Result keys: "fid", "sfid" (Fréchet distances), kKeyIs*, kKeyKid*, precision/recall/density/coverage;
// plus "official_weights" (true, false or null when no set says) and "count_real" / "count_fake".
// Throws UserError when the two sets were made with different extractor weights or resize.
nlohmann::json compute_generative_metrics(const GenerativeOptions& options, const FeatureSet* real,
                                          const FeatureSet& fake);

// The extractor protocol of the sets (the first that has one), or null.
nlohmann::json extractor_protocol(const FeatureSet* real, const FeatureSet& fake);

inline constexpr const char* kKeyFid = "fid";
inline constexpr const char* kKeySfid = "sfid";
inline constexpr const char* kKeyFdDinov2 = "fd_dinov2";
inline constexpr const char* kKeyFdTeacher = "fd_teacher";  // also the metric's name (fd-teacher accepted)
inline constexpr const char* kKeyOfficialWeights = "official_weights";

}  // namespace latentlab::metrics

namespace latentlab::metrics {
// Human summary, one line per value: "FID: 1.234", or "FID (unofficial Inception weights): 1.234" when the
// weights are not the official 2015-12-05 file (and "(weights unknown)" when no input says).
std::string summarize_generative_metrics(const nlohmann::json& results);
}  // namespace latentlab::metrics
