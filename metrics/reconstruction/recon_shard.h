// Recon shard files: `latentlab recon --shard i/n` evaluates dataset positions i, i + n, ... and saves its
// ReconParts; `latentlab recon merge` joins the shards in dataset order, so its results equal one process's:
// PSNR, SSIM and LPIPS means exactly (the same per-image float64 values summed in the same order), rFID to
// float64 rounding (the pool3 moments merged with Chan's update).
//
// File layout (.npz, np.load-able, written atomically; metrics/evaluate/shard_file.h has what all shard files
// share):
//   protocol                 uint8 JSON {"format": kReconShardFormat, "shard": "i/n", "protocol": the shard's
//                            results protocol (dataset, preprocessing, VAE, metric protocols, count, shard)}
//   positions                (n) int64, the dataset positions of this shard's images, in row order
//   psnr, ssim               (n) float64 per-image values (PSNR +inf for an identical pair)
//   lpips                    (n) float64, when LPIPS was computed
//   originals_pool3_{count,mean,m2}, recon_pool3_{count,mean,m2}   float64 moments, when rFID was computed
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics/reconstruction/recon_evaluation.h"

namespace latentlab::metrics {

inline constexpr const char* kReconShardFormat = "latentlab-recon-shard/1";

// `positions`: the dataset position of each image of `parts`, in row order. `protocol` must hold "shard".
void write_recon_shard(const std::string& path, const std::vector<int64_t>& positions, const ReconParts& parts,
                       const nlohmann::json& protocol);

struct MergedRecon {
  ReconParts parts;         // the whole dataset, in position order
  nlohmann::json protocol;  // the shards' protocol, count = the total, without "shard" (as one process writes)
};

// Reads the shard files of one sharded run (any order). UserError naming the file when the shards differ
// beyond the shard and count, a shard is missing or repeated, or positions do not cover 0..N-1 exactly once.
MergedRecon merge_recon_shards(const std::vector<std::string>& paths);

}  // namespace latentlab::metrics
