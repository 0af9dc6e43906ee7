// SiT (Scalable Interpolant Transformer; Ma et al. 2024, willisma/SiT, MIT licence) with the REPA projector
// heads (Yu et al. 2025, sihyun-yu/REPA, MIT licence): a class-conditional DiT-style transformer on latent
// patches that predicts a velocity, plus per-token MLPs from the hidden state after block `encoder_depth` to
// the feature widths of frozen vision encoders. Architecture and state-dict names follow REPA exactly
// (models/sit_net.h), so REPA, REPA-E and SiT checkpoints load as they are.
//
// Conventions: latents x float32 N×in_channels×input_size×input_size; t float N, passed to the timestep
// embedding as it is (REPA/REPA-E feed t ∈ [0, 1] with t = 1 pure noise; the model does not care); labels
// int64 N in [0, num_classes], where num_classes is the null (unconditional) class. The model lives on one
// device (CPU after construction); inputs must be on it. Gradients flow unless the caller holds an
// at::NoGradGuard. The only randomness is label dropout, and only when a generator is passed.
//
// Files (load):
//   .pt / .pth           torch.save'd state dicts, plain (SiT's released weights) or nested as REPA/REPA-E
//                        checkpoints ({"model": …, "ema": …, "opt": …, "args": …, "steps": …}); names may
//                        carry a prefix ("module.", "_orig_mod.")
//   .safetensors         a state dict with these names, or a file written by save() (config in its metadata)
// The state dict is found by the name "<prefix>x_embedder.proj.weight"; with prefix "auto" the EMA weights win
// (prefix "ema…"), then the shortest prefix. pos_embed is optional (computed when absent). REPA-E's latent
// BatchNorm statistics (bn.running_mean, bn.running_var, bn.num_batches_tracked) are not part of the network:
// they are returned in the load report and counted as skipped. Any other unexpected, missing or misshapen
// tensor is a UserError naming the file, the first offending name of each kind and the counts.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "io/array.h"
#include "models/sit_config.h"

namespace torch::nn {
class Module;
}

namespace latentlab::models {

class SiTNet;

struct SiTLoadOptions {
  // The architecture; when unset, the config in the file's metadata (files from save()), else one inferred
  // from the tensor shapes (SiTConfig::from_weights with the two values below).
  std::optional<SiTConfig> config;
  // The sub-tree holding the model as a dotted prefix without the trailing dot ("" = top level, "ema",
  // "model", …); "auto" finds it (see above).
  std::string prefix = "auto";
  int64_t input_size = 32;    // when inferring and the file has no pos_embed
  int64_t encoder_depth = 0;  // when inferring: > 0 overrides the size family's REPA depth
};

struct SiTLoadReport {
  std::string format;         // "safetensors", "pth-zip", …
  std::string prefix;         // the prefix used ("" = none)
  std::string config_source;  // "options", "metadata" or "inferred"
  int64_t loaded = 0;         // tensors copied into the model (pos_embed included when present)
  int64_t skipped = 0;        // bn.* latent statistics under the prefix
  int64_t outside = 0;        // tensors outside the prefix (the other of model/ema, a VAE, optimiser state)
  // REPA-E's latent normalisation (its frozen input BatchNorm), float32 C, when the file has it.
  at::Tensor bn_running_mean, bn_running_var;
};

struct SiTForwardOptions {
  // Training-time label dropout: each label becomes the null class with probability
  // config().class_dropout_prob, drawn as rand(N, generator) < p on the CPU (so the draw does not depend
  // on the model's device). Unset: no dropout (evaluation, sampling).
  std::optional<at::Generator> label_dropout;
  // DiT's force_drop_ids: a bool (or 0/1 integer) N tensor; true entries become the null class. Applied
  // instead of the random draw when defined.
  at::Tensor force_drop;
  bool project = true;  // compute the REPA projections
};

// Classifier-free guidance as REPA-E's samplers apply it: where guidance_low <= t <= guidance_high, the batch
// runs twice (labels, then the null class) and v = v_u + scale·(v_c − v_u) on all channels; elsewhere, and
// everywhere when scale == 1, v = v_c from one conditional pass.
struct SiTGuidance {
  double scale = 1.0;
  double low = 0.0, high = 1.0;  // the interval of t where guidance applies (inclusive)
};

class SiT {
 public:
  // A freshly initialised model (DiT's initialize_weights; see SiTNet::initialize_weights): its prediction
  // is exactly zero until trained. Draws from the global generator. Throws a UserError for an invalid config.
  explicit SiT(const SiTConfig& config);
  ~SiT();
  SiT(SiT&&) noexcept;
  SiT& operator=(SiT&&) noexcept;

  static SiT load(const std::string& path, const SiTLoadOptions& options = {}, SiTLoadReport* report = nullptr);
  // Writes safetensors (float32, REPA names, pos_embed included, no prefix) with the config JSON in the
  // metadata under kConfigMetadataKey, atomically; load(path) needs no options to read it back.
  void save(const std::string& path) const;
  static constexpr const char* kConfigMetadataKey = "latentlab.sit.config";

  struct Output {
    at::Tensor prediction;                // N×in_channels×H×W (the velocity for REPA's objective)
    std::vector<at::Tensor> projections;  // one N×T×z_dims[j] per projector (T = tokens), if requested
  };
  // Throws a UserError (subject "sit") when a shape, dtype or label does not fit the config.
  Output forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& labels,
                 const SiTForwardOptions& options = {}) const;
  // The guided prediction (see SiTGuidance); labels must be real classes (< num_classes).
  at::Tensor forward_with_guidance(const at::Tensor& x, const at::Tensor& t, const at::Tensor& labels,
                                   const SiTGuidance& guidance) const;

  // Labels with dropout applied as forward() applies it (see SiTForwardOptions).
  at::Tensor drop_labels(const at::Tensor& labels, const SiTForwardOptions& options) const;
  int64_t null_class() const { return config_.num_classes; }

  const SiTConfig& config() const { return config_; }
  const std::string& weights_sha256() const { return weights_sha256_; }  // "" unless loaded
  const std::string& weights_path() const { return weights_path_; }

  torch::nn::Module& module() const;  // REPA names; for optimisers, train()/eval(), named_parameters()
  SiTNet& net() const { return *net_; }
  void to(const c10::Device& device);
  c10::Device device() const;
  // Trainable parameters (pos_embed is a buffer and not counted); projectors excluded when asked.
  int64_t parameter_count(bool include_projectors = true) const;

  // Parameters and pos_embed as float32 CPU arrays with REPA names, in module order.
  io::NamedArrays state_arrays() const;
  // Copies REPA-named tensors into the model (converting dtype). Every parameter must be present with its
  // shape; pos_embed may be absent; no other name may appear. Errors name `subject`.
  void load_state(const io::NamedArrays& tensors, const std::string& subject);

 private:
  SiTConfig config_;
  std::shared_ptr<SiTNet> net_;
  std::string weights_sha256_, weights_path_;
};

}  // namespace latentlab::models
