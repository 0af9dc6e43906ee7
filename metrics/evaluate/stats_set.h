// The statistics of one feature set, as FID and sFID need them, and latentlab's statistics file for them.
//
// latentlab's file (written by `latentlab stats make`, float64, np.load-able) is lib/stats' moments layout
// for the pool3 features plus a second set of keys, with ADM's `_s` suffix, for the sFID spatial features:
//   count ()  int64; protocol (B) uint8 JSON text
//   mean (2048), m2 (2048, 2048), mu, sigma            pool3 (FID, KID/PR features are not stored)
//   mean_s (2023), m2_s (2023, 2023), mu_s, sigma_s    spatial (sFID)
// so pytorch-fid reads it as plain mu/sigma and ADM's evaluator finds mu_s/sigma_s, while `stats merge` adds
// shards exactly from (count, mean, m2). The protocol holds the extractor's protocol, the dataset spec, the
// preprocessing and the shard ("i/n"); shards merge only when everything but the shard is equal.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stats/running_moments.h"
#include "stats/statistics_file.h"

namespace latentlab::metrics {

// What a feature set offers the Fréchet metrics. From images or a latentlab file the moments are exact
// (mergeable); from a pytorch-fid / ADM file only mu and sigma exist.
struct FeatureStats {
  std::optional<stats::RunningMoments> pool3_moments, spatial_moments;
  std::optional<stats::GaussianStats> pool3, spatial;  // mu (D), sigma (D, D) float64 CPU
  int64_t count = -1;                                  // -1 when the file does not say
  nlohmann::json protocol;                             // null when the file does not say
  std::string layout;                                  // "latentlab", "adm-reference", "pytorch-fid", "images"

  // Fills pool3 / spatial from the moments (needs count >= 2).
  void finish_from_moments();
};

// Reads any of the three layouts: "m2" → latentlab, "mu_s" → ADM reference, else pytorch-fid (mu, sigma).
// Errors name the file and the key.
FeatureStats read_feature_stats(const std::string& path);

// Writes the latentlab layout atomically; needs pool3_moments (spatial_moments optional), count >= 2.
void write_feature_stats(const std::string& path, const FeatureStats& stats);

// Reads latentlab files and merges them in order. The protocols must agree except for "shard"; when the
// shards are exactly i/n for i = 0..n-1 (any order) the merged protocol says "0/1" (the whole dataset),
// otherwise it lists them under "shard" as "merged:<list>".
FeatureStats merge_feature_stats(const std::vector<std::string>& paths);

}  // namespace latentlab::metrics
