// Feature statistics files (.npz, float64). Three layouts, one API shape:
//
//   pytorch-fid        "mu" (D), "sigma" (D, D): mseitzer/pytorch-fid `--save-stats`; also MAR/LightningDiT
//                      `adm_in256_stats.npz` and clean-fid stats. Any npz holding these keys is accepted.
//   ADM reference batch openai/guided-diffusion VIRTUAL_imagenet*.npz: "mu", "sigma" (pool3) and "mu_s",
//                      "sigma_s" (sFID spatial features), beside "arr_0" (reference images, never read here).
//   latentlab          the exact accumulator, so shards merge exactly (RunningMoments::from_parts):
//                        "count"    ()      int64   number of features
//                        "mean"     (D)     float64
//                        "m2"       (D, D)  float64 co-moment sum_i (x_i - mean)(x_i - mean)^T
//                                   or (D) for a diagonal accumulator
//                        "protocol" (B)     uint8   UTF-8 JSON text: everything that changes the features
//                                                   (extractor weights SHA-256, resize, seeds, ...)
//                      plus "mu" and "sigma" = m2 / (count - 1) when full and count >= 2, so that
//                      pytorch-fid and ADM's evaluator read the same file as plain statistics.
//
// Float32 stats are widened to float64 on reading. Errors are UserErrors naming the file and the key:
// missing keys, wrong dtypes, shapes that disagree, non-finite values, unparsable protocol JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "stats/running_moments.h"

namespace latentlab::stats {

struct GaussianStats {
  at::Tensor mu;     // (D) float64, CPU
  at::Tensor sigma;  // (D, D) float64, CPU
};

// pytorch-fid layout (also reads latentlab files, which carry mu and sigma).
GaussianStats read_fid_stats(const std::string& path);
// Writes mu and sigma as float64 (np.savez_compressed when `compressed`), atomically.
void write_fid_stats(const std::string& path, const GaussianStats& stats, bool compressed = true);

// ADM reference batch: the pool3 stats, and the spatial (sFID) stats when the file has mu_s and sigma_s.
struct AdmReferenceStats {
  GaussianStats pool;
  std::optional<GaussianStats> spatial;
};
AdmReferenceStats read_adm_reference_stats(const std::string& path);

// latentlab layout.
struct MomentsFile {
  RunningMoments moments;
  nlohmann::json protocol;
};
void write_moments_file(const std::string& path, const RunningMoments& moments, const nlohmann::json& protocol);
MomentsFile read_moments_file(const std::string& path);
// Reads and merges shards in order. Every shard must have the same protocol and dimension (else a
// UserError naming the first shard that differs).
MomentsFile merge_moments_files(const std::vector<std::string>& paths);

}  // namespace latentlab::stats
