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
#include <string>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "metrics/evaluate/evaluate.h"
#include "metrics/reconstruction/ssim.h"

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
};

struct ReconReport {
  nlohmann::json results;   // rfid, psnr (+ counts), ssim, lpips, count, skipped {metric: reason}
  nlohmann::json protocol;  // reconstruction, quantisation, ssim, lpips, extractor (null when skipped)
  int64_t count = 0;
  at::Tensor grid_originals, grid_reconstructions;  // the first ReconOptions::grid_images pairs, uint8 (n, 3, H, W) CPU
};

// uint8 (N, 3, H, W) originals → uint8 (N, 3, H, W) reconstructions on the VAE's device. `generator` (CPU)
// is used only with `sample`. UserError ("images") when H or W is not a multiple of the VAE's factor.
at::Tensor reconstruct_images(const models::AutoencoderKL& vae, const at::Tensor& images, bool sample,
                              at::Generator* generator);

// Streams every batch of `next` once. `extractor` (rFID) and `lpips` may be null: the metric is then
// listed under results.skipped with the reason. Throws UserError for an empty input, or fewer than 2
// images when rFID is computed.
ReconReport evaluate_reconstructions(const ImageBatches& next, const models::AutoencoderKL& vae,
                                     FeatureExtractor* extractor, std::shared_ptr<const models::LpipsVGG> lpips,
                                     const ReconOptions& options);

// Human summary, one line per metric ("rFID: 1.234567", "LPIPS: skipped (no LPIPS weights given)").
std::string summarize_reconstruction(const nlohmann::json& results);

}  // namespace latentlab::metrics
