// One pass of a dataset through a VAE and the reconstruction metrics (docs/metrics.md "latentlab recon"):
//
//   originals (uint8) → x / 127.5 − 1 → encode → posterior mean (or a seeded sample) → decode
//   → reconstructions quantised to uint8 as a PNG writer would: clamp(floor((x + 1)·127.5 + 0.5), 0, 255)
//   → PSNR, SSIM, LPIPS on the uint8 pairs; rFID = FID(reconstructions, originals) from Inception pool3
//     float64 moments of both sets (streamed, exact across batches).
//
// Every metric sees the same uint8 images a user would get by saving the reconstructions, so PNG-based
// evaluate scripts and this pass agree. With `sample`, each image's noise is drawn separately from one
// seeded CPU generator in row order, so results do not depend on the batch size either way.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "metrics/evaluate/evaluate.h"
#include "metrics/reconstruction/ssim.h"
#include "stats/running_moments.h"

namespace latentlab::models {
class AutoencoderKL;
class LpipsVGG;
}  // namespace latentlab::models

namespace latentlab::metrics {

inline constexpr const char* kKeyRfid = "rfid";
inline constexpr const char* kKeySkipped = "skipped";

struct ReconOptions {
  bool sample = false;      // decode a posterior sample instead of the mean
  uint64_t seed = 0;        // the sample's generator seed
  int64_t grid_images = 0;  // keep the first this many pairs (for `recon --save-grid`)
  SsimOptions ssim;
  // A shard i/n (`recon --shard`) holds dataset positions i, i + n, ...: with `sample` it discards the noise
  // draws of the other positions (offset i, stride n), so each image gets the noise one process gives it.
  int64_t noise_offset = 0, noise_stride = 1;
  bool parts_only = false;  // a shard: collect ReconParts, leave results empty (`recon merge` computes them)
};

// What one pass accumulates before the metrics are computed: every metric's per-image values in row order
// and the Inception pool3 moments of both sets. `recon --shard` saves them and `recon merge` joins the
// shards' parts in dataset order, so its results equal one process's: means exactly, rFID to float64 rounding.
struct ReconParts {
  int64_t count = 0;
  std::vector<double> psnr, ssim, lpips;  // (count) each; lpips empty when skipped
  bool lpips_computed = false;
  std::optional<stats::RunningMoments> originals_pool3, recon_pool3;  // nullopt: rFID skipped
};

struct ReconReport {
  nlohmann::json results;   // rfid, psnr (+ counts), ssim, lpips, count, skipped {metric: reason}
  nlohmann::json protocol;  // reconstruction, quantisation, ssim, lpips, extractor (null when skipped)
  int64_t count = 0;
  ReconParts parts;
  at::Tensor grid_originals, grid_reconstructions;  // the first ReconOptions::grid_images pairs, uint8 (n, 3, H, W) CPU
};

// uint8 (N, 3, H, W) originals → uint8 (N, 3, H, W) reconstructions on the VAE's device. `generator` (CPU)
// is used only with `sample`: one draw per image, after discarding `skip_first` draws before the first image
// and `skip_between` between images (a shard's noise, ReconOptions::noise_stride). UserError ("images") when
// H or W is not a multiple of the VAE's factor.
at::Tensor reconstruct_images(const models::AutoencoderKL& vae, const at::Tensor& images, bool sample,
                              at::Generator* generator, int64_t skip_first = 0, int64_t skip_between = 0);

// The results of a pass (or of merged shards): rfid, psnr, ssim, lpips with their counts, count, skipped.
// Throws UserError ("--data") when rFID is asked of fewer than 2 images.
nlohmann::json reconstruction_results(const ReconParts& parts);

// Streams every batch of `next` once. `extractor` (rFID) and `lpips` may be null: the metric is then
// listed under results.skipped with the reason. Throws UserError for an empty input, or fewer than 2
// images when rFID is computed.
ReconReport evaluate_reconstructions(const ImageBatches& next, const models::AutoencoderKL& vae,
                                     FeatureExtractor* extractor, std::shared_ptr<const models::LpipsVGG> lpips,
                                     const ReconOptions& options);

// Human summary, one line per metric ("rFID: 1.234567", "LPIPS: skipped (no LPIPS weights given)").
std::string summarize_reconstruction(const nlohmann::json& results);

}  // namespace latentlab::metrics
