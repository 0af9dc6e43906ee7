// AutoencoderKL of latent diffusion (Rombach et al. 2022; CompVis/latent-diffusion, MIT licence): a
// convolutional encoder to a diagonal Gaussian over latents and a decoder back to images. Architecture and
// state-dict names follow LDM exactly (models/autoencoder_kl_net.h), so LDM, REPA-E and VA-VAE checkpoints
// load as they are; diffusers files are renamed on load (models/autoencoder_kl_diffusers.h).
//
// Conventions for every function here: images are float32 N×3×H×W in [-1, 1] (uint8 x ↦ x/127.5 − 1), with
// H and W multiples of f = config().downsampling_factor(); latents are N×embed_dim×H/f×W/f. The model lives
// on one device (CPU after construction); inputs must be on that device. Gradients flow unless the caller
// holds an at::NoGradGuard (encoding for a latent store should). Dropout is the only train/eval difference.
//
// Files (load):
//   .pth / .pt / .ckpt   torch.save'd state dicts, plain or nested ({"state_dict": …}, {"model": …}); names
//                        may carry a prefix ("first_stage_model.", "vae.", "model.", …)
//   .safetensors         LDM names, diffusers names, or a file written by save() (config in its metadata)
// The state dict is found by the name "<prefix>encoder.conv_in.weight" (the shortest such prefix wins unless
// one is named). loss.* (LDM/VA-VAE discriminator, LPIPS, VF projection) and model_ema.* tensors are skipped
// and counted; any other unexpected, missing or wrongly shaped tensor is a UserError naming the file, the
// first offending name of each kind and the counts.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "io/array.h"
#include "models/autoencoder_kl_config.h"
#include "models/autoencoder_kl_posterior.h"

namespace torch::nn {
class Module;
}

namespace latentlab::models {

class AutoencoderKLNet;

struct AutoencoderKLLoadOptions {
  // The architecture; when unset, the config in the file's metadata (files from save()), else one inferred
  // from the tensor shapes (AutoencoderKLConfig::from_weights at `resolution`).
  std::optional<AutoencoderKLConfig> config;
  // The sub-tree holding the autoencoder, as a dotted name prefix without the trailing dot ("" = the top
  // level, "state_dict.first_stage_model", "vae", …); "auto" finds it (see above).
  std::string prefix = "auto";
  // The image side attention levels are expressed at when the config is inferred from the weights.
  int64_t resolution = 256;
};

// What load() found, for logs and provenance.
struct AutoencoderKLLoadReport {
  std::string format;         // "safetensors", "pth-zip", …
  std::string prefix;         // the prefix used ("" = none)
  std::string layout;         // "ldm" or "diffusers"
  std::string config_source;  // "options", "metadata" or "inferred"
  int64_t loaded = 0;         // tensors copied into the model
  int64_t skipped = 0;        // loss.* and model_ema.* tensors under the prefix, ignored
  int64_t outside = 0;        // tensors outside the prefix (e.g. a diffusion model in the same checkpoint)
};

class AutoencoderKL {
 public:
  // A freshly initialised model (LibTorch's default initialisation, drawn from the global generator: seed it
  // with at::manual_seed for reproducible weights). Throws a UserError for an invalid config.
  explicit AutoencoderKL(const AutoencoderKLConfig& config);
  ~AutoencoderKL();
  AutoencoderKL(AutoencoderKL&&) noexcept;
  AutoencoderKL& operator=(AutoencoderKL&&) noexcept;

  // Loads a weights file (see the top of this file); the result is on the CPU, float32.
  static AutoencoderKL load(const std::string& path, const AutoencoderKLLoadOptions& options = {},
                            AutoencoderKLLoadReport* report = nullptr);
  // Writes safetensors (float32, LDM names, no prefix) with the config JSON in the metadata under
  // kConfigMetadataKey, atomically; load(path) needs no options to read it back.
  void save(const std::string& path) const;
  static constexpr const char* kConfigMetadataKey = "latentlab.autoencoder_kl.config";

  // images: float32 N×in_channels×H×W in [-1, 1] -> the posterior, tensors N×embed_dim×H/f×W/f.
  // Throws a UserError (subject "autoencoder-kl") when the shape does not fit the config.
  Posterior encode(const at::Tensor& images) const;
  // z: float32 N×embed_dim×h×w -> images N×out_channels×h·f×w·f (not clamped to [-1, 1]).
  at::Tensor decode(const at::Tensor& z) const;

  struct Output {
    Posterior posterior;
    at::Tensor z;               // posterior sample (or mean when not sampling)
    at::Tensor reconstruction;  // decode(z)
  };
  // LDM's forward: encode, sample (or take the mean), decode.
  Output forward(const at::Tensor& images, bool sample_posterior = true,
                 c10::optional<at::Generator> generator = c10::nullopt) const;

  const AutoencoderKLConfig& config() const { return config_; }
  // SHA-256 of the file load() read; "" for a model built from a config.
  const std::string& weights_sha256() const { return weights_sha256_; }
  const std::string& weights_path() const { return weights_path_; }

  // The module tree (LDM names), for optimisers, train()/eval(), named_parameters().
  torch::nn::Module& module() const;
  AutoencoderKLNet& net() const { return *net_; }
  void to(const c10::Device& device);
  c10::Device device() const;
  int64_t parameter_count() const;

  // The parameters as float32 CPU arrays with LDM names, in module order.
  io::NamedArrays state_arrays() const;
  // Copies LDM-named tensors into the parameters (converting dtype and device). Every parameter must be
  // present with its shape and no other name may appear; errors name `subject` (see the top of this file).
  void load_state(const io::NamedArrays& tensors, const std::string& subject);

 private:
  AutoencoderKLConfig config_;
  std::shared_ptr<AutoencoderKLNet> net_;
  std::string weights_sha256_, weights_path_;
};

}  // namespace latentlab::models
