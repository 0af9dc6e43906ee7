// How a SiT checkpoint records the latent normalisation it was trained with, so that sampling decodes with
// exactly those statistics (TRAINING.md §10: LightningDiT#34 decoded un-normalised latents and got FID > 130).
//
// The SiT sees x = (z − mean) / std per latent channel, z being the VAE's latent; decoding inverts it,
// z = x·std + mean. (REPA-E's frozen input BatchNorm is the same map with mean = running_mean and
// std = sqrt(running_var + 1e-4); LDM's constant factor 0.18215 is mean 0, std 1/0.18215; REPA-E's
// `latents-stats.pt` scale/bias are 1/std and mean.)
//
// In a safetensors SiT checkpoint (the config under models::SiT::kConfigMetadataKey) the metadata key
// "latentlab.latent_norm" holds one JSON object:
//
//   {"mean": [C numbers], "std": [C numbers, all > 0],
//    "vae_sha256": "<64 hex digits of the VAE weights file the latents came from>" or "",
//    "vae_preset": "f16d32" (informational), "source": "store:latents.h5" (where the numbers came from)}
//
// Trainers write it with save_sit_checkpoint(); `latentlab sample` refuses a SiT without it. A REPA-E
// checkpoint (.pt) is accepted through its BatchNorm statistics instead (source "repa-e-batchnorm", VAE
// identity unknown).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json_fwd.hpp>

namespace latentlab::models {
class SiT;
struct SiTLoadReport;
}  // namespace latentlab::models

namespace latentlab::diffusion {

struct LatentNorm {
  static constexpr const char* kMetadataKey = "latentlab.latent_norm";
  static constexpr double kRepaBatchNormEps = 1e-4;

  std::vector<double> mean, std;
  std::string vae_sha256;  // "" = unknown
  std::string vae_preset;
  std::string source;

  int64_t channels() const { return static_cast<int64_t>(mean.size()); }
  // Throws a UserError naming `subject` for empty or unequal lengths, non-finite values, std <= 0, or a
  // vae_sha256 that is not 64 hex digits.
  void validate(const std::string& subject) const;

  // z (N×C×…) -> the SiT's input, and back; computed in z's dtype on z's device.
  at::Tensor normalize(const at::Tensor& z) const;
  at::Tensor denormalize(const at::Tensor& x) const;

  nlohmann::json to_json() const;
  std::string to_json_string() const;
  // Strict: unknown keys, missing mean/std and wrong types are UserErrors naming `subject`.
  static LatentNorm from_json_string(const std::string& text, const std::string& subject);
  // From REPA-E's BatchNorm running statistics (float C tensors).
  static LatentNorm from_batch_norm(const at::Tensor& running_mean, const at::Tensor& running_var);
};

// The normalisation of the SiT checkpoint at `path`: the metadata key of a safetensors file, else REPA-E's
// BatchNorm statistics found by SiT::load (in `report`). Neither: a UserError naming the file and saying how
// to record it. `channels` (the SiT's in_channels) must match.
LatentNorm read_latent_norm(const std::string& path, const models::SiTLoadReport& report, int64_t channels);

// Writes a SiT as SiT::save does (float32 safetensors, REPA names, config metadata) plus the normalisation.
void save_sit_checkpoint(const std::string& path, const models::SiT& sit, const LatentNorm& norm);

}  // namespace latentlab::diffusion
