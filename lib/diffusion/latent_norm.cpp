#include "diffusion/latent_norm.h"

#include <cctype>
#include <cmath>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/safetensors.h"
#include "io/weights.h"
#include "models/sit.h"

namespace latentlab::diffusion {
namespace {

bool is_sha256(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// Per-channel values shaped to broadcast over N×C×… on `like`'s device and dtype.
at::Tensor channel_tensor(const std::vector<double>& values, const at::Tensor& like) {
  std::vector<int64_t> shape(static_cast<size_t>(like.dim()), 1);
  shape[1] = static_cast<int64_t>(values.size());
  return at::tensor(values, at::kDouble).to(like.device(), like.scalar_type()).reshape(shape);
}

}  // namespace

void LatentNorm::validate(const std::string& subject) const {
  if (mean.empty() || mean.size() != std.size())
    fail(subject, "latent normalisation needs equal, non-empty mean and std lists (got {} and {})", mean.size(),
         std.size());
  for (size_t c = 0; c < mean.size(); ++c) {
    if (!std::isfinite(mean[c])) fail(subject, "latent normalisation mean[{}] is not finite", c);
    if (!(std[c] > 0.0) || !std::isfinite(std[c]))
      fail(subject, "latent normalisation std[{}] must be finite and > 0, got {}", c, std[c]);
  }
  if (!vae_sha256.empty() && !is_sha256(vae_sha256))
    fail(subject, "latent normalisation vae_sha256 must be 64 hex digits, got '{}'", vae_sha256);
}

at::Tensor LatentNorm::normalize(const at::Tensor& z) const {
  LATENTLAB_ASSERT(z.dim() >= 2 && z.size(1) == channels(), "latent channels {} vs {}", z.size(1), channels());
  return (z - channel_tensor(mean, z)) / channel_tensor(std, z);
}

at::Tensor LatentNorm::denormalize(const at::Tensor& x) const {
  LATENTLAB_ASSERT(x.dim() >= 2 && x.size(1) == channels(), "latent channels {} vs {}", x.size(1), channels());
  return x * channel_tensor(std, x) + channel_tensor(mean, x);
}

nlohmann::json LatentNorm::to_json() const {
  return {{"mean", mean}, {"std", std}, {"vae_sha256", vae_sha256}, {"vae_preset", vae_preset}, {"source", source}};
}

std::string LatentNorm::to_json_string() const {
  return to_json().dump();
}

LatentNorm LatentNorm::from_json_string(const std::string& text, const std::string& subject) {
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (!doc.is_object()) fail(subject, "{} is not a JSON object", kMetadataKey);
  LatentNorm norm;
  for (const auto& [key, value] : doc.items()) {
    if (key == "mean" || key == "std") {
      if (!value.is_array()) fail(subject, "{}.{} must be a list of numbers", kMetadataKey, key);
      auto& out = key == "mean" ? norm.mean : norm.std;
      for (const auto& v : value) {
        if (!v.is_number()) fail(subject, "{}.{} must be a list of numbers", kMetadataKey, key);
        out.push_back(v.get<double>());
      }
    } else if (key == "vae_sha256" || key == "vae_preset" || key == "source") {
      if (!value.is_string()) fail(subject, "{}.{} must be a string", kMetadataKey, key);
      (key == "vae_sha256"   ? norm.vae_sha256
       : key == "vae_preset" ? norm.vae_preset
                             : norm.source) = value.get<std::string>();
    } else {
      fail(subject, "{} has an unknown key '{}' (known: mean, std, vae_sha256, vae_preset, source)", kMetadataKey, key);
    }
  }
  norm.validate(subject);
  return norm;
}

LatentNorm LatentNorm::from_batch_norm(const at::Tensor& running_mean, const at::Tensor& running_var) {
  LatentNorm norm;
  const at::Tensor mean = running_mean.to(at::kDouble).contiguous();
  const at::Tensor stdev = (running_var.to(at::kDouble) + kRepaBatchNormEps).sqrt().contiguous();
  norm.mean.assign(mean.data_ptr<double>(), mean.data_ptr<double>() + mean.numel());
  norm.std.assign(stdev.data_ptr<double>(), stdev.data_ptr<double>() + stdev.numel());
  norm.source = "repa-e-batchnorm";
  return norm;
}

LatentNorm read_latent_norm(const std::string& path, const models::SiTLoadReport& report, int64_t channels) {
  LatentNorm norm;
  if (report.format == io::format_name(io::WeightsFormat::Safetensors)) {
    const auto metadata = io::read_safetensors(path).metadata;
    if (auto it = metadata.find(LatentNorm::kMetadataKey); it != metadata.end())
      norm = LatentNorm::from_json_string(it->second, path + " (metadata " + LatentNorm::kMetadataKey + ")");
  }
  if (norm.mean.empty() && report.bn_running_mean.defined() && report.bn_running_var.defined()) {
    norm = LatentNorm::from_batch_norm(report.bn_running_mean, report.bn_running_var);
    norm.validate(path + " (bn.running_mean/var)");
  }
  if (norm.mean.empty())
    fail(path,
         "records no latent normalisation: sampling would decode with statistics the SiT was not trained with. "
         "Write the checkpoint with diffusion::save_sit_checkpoint (metadata key {}), or use a REPA-E checkpoint "
         "with its bn.running_mean/var",
         LatentNorm::kMetadataKey);
  if (norm.channels() != channels)
    fail(path, "latent normalisation has {} channels but the SiT reads {}", norm.channels(), channels);
  return norm;
}

void save_sit_checkpoint(const std::string& path, const models::SiT& sit, const LatentNorm& norm) {
  norm.validate(path);
  LATENTLAB_ASSERT(norm.channels() == sit.config().in_channels, "normalisation has {} channels, the SiT {}",
                   norm.channels(), sit.config().in_channels);
  io::write_safetensors(path, sit.state_arrays(),
                        {{"format", "pt"},
                         {"producer", "latentlab"},
                         {models::SiT::kConfigMetadataKey, sit.config().to_json_string()},
                         {LatentNorm::kMetadataKey, norm.to_json_string()}});
}

}  // namespace latentlab::diffusion
