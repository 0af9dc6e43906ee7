// Feature shard files: `latentlab metrics --shard i/n` extracts the features of shard i of each image input
// (dataset positions i, i + n, ..., the image pipeline's rule) and saves them; `latentlab metrics merge` puts
// the shards' rows back in position order and merges their moments, so the metrics equal one unsharded run:
// IS, KID, precision/recall/density/coverage exactly (the same float32 rows in the same order, the same seeds),
// FID, sFID and the FDs to float64 rounding (moments merged with Chan's update).
//
// File layout (.npz, np.load-able, written atomically; shard_file.h has what all shard files share):
//   protocol              uint8 JSON {"format": kFeatureShardFormat, "shard": "i/n", "choices": MetricChoices,
//                         "sides": [{"role", "kind": "images"|"stats", "input": the spec or file,
//                         "protocol": the set's protocol (extractor, dataset, preprocessing, shard),
//                         "sha256": the statistics file's (stats only)}]}
//   <role>_positions      (n) int64, the dataset positions of this shard's rows, in row order
//   <role>_pool3          (n, D) float32 global features, when a metric needs every row (kid, pr)
//   <role>_logits         (n, 1008) float32 unbiased logits, when `is` is asked for
//   <role>_pool3_{count,mean,m2}, <role>_spatial_{count,mean,m2}   float64 moments (fid, fd_*; sfid)
// Only image inputs are sharded. A statistics input (stats:FILE) is passed through: each shard records its
// path and SHA-256, and the merge reads the file itself, refusing it if it changed.
#pragma once

#include <string>
#include <vector>

#include "metrics/evaluate/evaluate.h"
#include "metrics/evaluate/metric_choices.h"

namespace latentlab::metrics {

inline constexpr const char* kFeatureShardFormat = "latentlab-feature-shard/1";

struct FeatureShardSide {
  std::string role;  // "real" (first, when there is one), "fake"
  MetricInput input;
  FeatureSet set;  // images: this shard's rows and moments (the whole set after a merge); stats: the file's
};

// Writes shard `shard_index` of `shard_count` (its rows at positions shard_index + j * shard_count).
void write_feature_shard(const std::string& path, int shard_index, int shard_count, const MetricChoices& choices,
                         const std::vector<FeatureShardSide>& sides);

struct MergedFeatures {
  MetricChoices choices;
  std::vector<FeatureShardSide> sides;  // whole sets, protocol shard "0/1"
};

// Reads the shard files of one sharded run (any order). UserError naming the file when the shards differ
// beyond the shard, a shard is missing or repeated, or positions do not cover 0..N-1 exactly once.
MergedFeatures merge_feature_shards(const std::vector<std::string>& paths);

}  // namespace latentlab::metrics
