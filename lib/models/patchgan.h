// The PatchGAN discriminator of taming-transformers (Esser et al. 2021; CompVis/taming-transformers,
// MIT licence, taming/modules/discriminator/model.py `NLayerDiscriminator`, itself from pix2pix), used by the
// LDM, VA-VAE and REPA-E autoencoder losses. With n_layers = 3 (the default) its `main` Sequential is
//
//   main.0   Conv2d(in, ndf, 4, stride 2, pad 1, bias)        main.1   LeakyReLU(0.2)
//   main.2   Conv2d(ndf, 2ndf, 4, 2, 1, no bias)  main.3 BN    main.4   LeakyReLU(0.2)
//   main.5   Conv2d(2ndf, 4ndf, 4, 2, 1, no bias) main.6 BN    main.7   LeakyReLU(0.2)
//   main.8   Conv2d(4ndf, 8ndf, 4, 1, 1, no bias) main.9 BN    main.10  LeakyReLU(0.2)
//   main.11  Conv2d(8ndf, 1, 4, 1, 1, bias)                    -> one logit per patch
//
// (widths ndf·min(2^n, 8); n_layers − 1 stride-2 blocks after the first conv, then one stride-1 block). BN is
// BatchNorm2d (eps 1e-5, momentum 0.1, affine, running stats): train mode normalises with batch statistics
// and updates the running ones, eval mode uses the running ones. ActNorm (taming's option) is not supported.
// A 256² image gives 30×30 logits; the input side must be at least 3·2^n_layers (24 for 3 layers).
//
// Initialisation is taming's weights_init: conv weights N(0, 0.02), BN weight N(1, 0.02) and bias 0, conv
// biases LibTorch's (= PyTorch's) default; drawn from the global generator (seed with at::manual_seed).
//
// Files (load): a taming/LDM/VA-VAE autoencoder checkpoint holding loss.discriminator.main.N.* (found under
// state_dict/model/… as io::load_weights picks, or under a named prefix), a bare discriminator state dict
// (main.N.*), or a safetensors file (e.g. one written by save(), config in its metadata). The config is
// inferred from the shapes otherwise. Other tensors of an autoencoder checkpoint are counted and ignored.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "io/array.h"
#include "models/batch_norm_function.h"

namespace torch::nn {
class Module;
}

namespace latentlab::models {

struct PatchGANConfig {
  int64_t in_channels = 3;
  int64_t ndf = 64;
  int64_t n_layers = 3;

  void validate(const std::string& subject) const;  // UserError naming `subject` for non-positive values
  int64_t min_input_side() const;                   // 3·2^n_layers
  std::string to_json_string() const;
  static PatchGANConfig from_json_string(const std::string& text, const std::string& subject);
  // From main.0.weight (ndf×in×4×4) and the number of 4-D main.N.weight tensors (n_layers + 2).
  static PatchGANConfig from_weights(const io::NamedArrays& tensors, const std::string& subject);
};

struct PatchGANLoadOptions {
  // The sub-tree holding the discriminator, as a dotted prefix without the trailing dot, e.g.
  // "state_dict.loss.discriminator" or "discriminator"; "auto" finds main.0.weight either at the top of the
  // state dict io::load_weights selects or under a "…discriminator." prefix (the shortest wins).
  std::string prefix = "auto";
};

struct PatchGANLoadReport {
  std::string format;         // io::format_name
  std::string prefix;         // the prefix used inside the selected state dict ("" = none)
  std::string config_source;  // "metadata" or "inferred"
  int64_t loaded = 0;         // tensors copied (parameters and BN buffers)
  int64_t outside = 0;        // tensors outside the prefix (the autoencoder, LPIPS, …), ignored
};

class PatchGANNet;

class PatchGANDiscriminator {
 public:
  explicit PatchGANDiscriminator(const PatchGANConfig& config = {});
  ~PatchGANDiscriminator();
  PatchGANDiscriminator(PatchGANDiscriminator&&) noexcept;
  PatchGANDiscriminator& operator=(PatchGANDiscriminator&&) noexcept;

  static PatchGANDiscriminator load(const std::string& path, const PatchGANLoadOptions& options = {},
                                    PatchGANLoadReport* report = nullptr);
  // Safetensors with taming names (main.N.*, BN buffers included) and the config JSON in the metadata.
  void save(const std::string& path) const;
  static constexpr const char* kConfigMetadataKey = "latentlab.patchgan.config";

  // images: float N×in_channels×H×W (in [-1, 1] for the VAE losses), H, W ≥ min_input_side() ->
  // logits N×1×h×w (h = H/8 − 2 for 3 layers). UserError (subject "patchgan") on a bad shape.
  at::Tensor forward(const at::Tensor& images) const;

  // Train mode: batch statistics, running stats updated. Eval: running stats. A new model is in train mode.
  void train(bool on = true);
  // Replaces the BatchNorms' train-mode forward (SyncBatchNorm in data-parallel training); empty = their own.
  void set_batch_norm(BatchNormFunction batch_norm) { batch_norm_ = std::move(batch_norm); }
  bool is_training() const;

  const PatchGANConfig& config() const { return config_; }
  torch::nn::Module& module() const;
  void to(const c10::Device& device);
  int64_t parameter_count() const;

  // Parameters and BN buffers with taming names (float32; num_batches_tracked int64).
  io::NamedArrays state_arrays() const;
  // Strict copy of taming-named tensors (num_batches_tracked may be absent); errors name `subject`.
  void load_state(const io::NamedArrays& tensors, const std::string& subject);

 private:
  PatchGANConfig config_;
  std::shared_ptr<PatchGANNet> net_;
  BatchNormFunction batch_norm_;
};

}  // namespace latentlab::models
