// The Send-VAE mapper h_φ (Page et al. 2026, arXiv 2601.05823, §3.2–3.3; PAPER.md §6 lists what the paper
// fixes and the toolkit defaults for what it leaves open). It maps a VAE latent to the teacher's patch-token
// space so that an alignment loss (models/sendvae_mapper_alignment.h) can pull the latent towards VFM
// semantics through a non-linear head:
//
//   z (N×C×h×w, the posterior sample that also feeds the decoder)
//   -> latent_norm: BatchNorm2d(C, affine = false, eps 1e-4, momentum 0.1, running stats)   ("normalize")
//   -> noise: z_t = (1 − t)·z + t·ε, one t ~ U(0, 1) per sample, ε ~ N(0, I)                 ("inject_noise")
//   -> patch_embed.proj: Conv2d(C -> D, kernel = stride = p, bias), tokens in row-major order
//   -> + fixed 2-D sin-cos positions (models/sendvae_mapper_positions.h)
//   -> blocks.0 … blocks.{depth−1}: pre-norm ViT blocks (models/sendvae_mapper_block.h); depth 0 allowed
//   -> projector: Linear(D, H) – SiLU – Linear(H, H) – SiLU – Linear(H, D_teacher)  (REPA's projector)
//   = tokens N×(h/p·w/p)×D_teacher
//
// Parameter and buffer names: latent_norm.{running_mean, running_var, num_batches_tracked},
// patch_embed.proj.{weight, bias}, blocks.<i>.{norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2}.*,
// projector.{0, 2, 4}.{weight, bias}. Initialisation (DiT/REPA style): xavier-uniform Linear weights and
// patch-embed weight viewed as D×(C·p²), zero biases, LayerNorm 1/0; drawn from the global generator.
//
// Train mode: the BatchNorm normalises with the batch statistics (biased variance) and updates its running
// statistics (unbiased variance, momentum 0.1); eval mode uses the running statistics and changes nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <c10/util/Optional.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

#include "io/array.h"
#include "models/batch_norm_function.h"
#include "models/sendvae_mapper_block.h"

namespace latentlab::models {

struct SendVAEMapperConfig {
  int64_t latent_channels = 32;  // C (f16d32)
  int64_t patch_size = 1;        // p: 1 for f16 latents, 2 for f8 (the token grid must match the teacher's)
  int64_t width = 768;           // D, the mapper width (= teacher width in the paper)
  int64_t depth = 1;             // ViT blocks; 0 = patch embed + projector only (Table 2)
  int64_t heads = 12;            // 12 for D 768, 16 for D 1024
  int64_t mlp_ratio = 4;         // block MLP hidden = mlp_ratio·D
  int64_t projector_hidden = 2048;
  int64_t teacher_width = 768;  // D_teacher (DINOv2-B/14 768, L/14 1024)
  double bn_eps = 1e-4;
  double bn_momentum = 0.1;
  double ln_eps = 1e-6;

  // The paper's mapper for a teacher of width D_teacher: D = D_teacher, heads 12 (768) / 16 (1024) / D/64.
  static SendVAEMapperConfig for_teacher(int64_t latent_channels, int64_t patch_size, int64_t teacher_width,
                                         int64_t depth = 1);
  // UserError naming `subject`: non-positive sizes, negative depth, D not divisible by heads or by 4.
  void validate(const std::string& subject) const;
};

// The noised normalised latent and the draws that made it.
struct NoisedLatent {
  at::Tensor zt;     // N×C×h×w
  at::Tensor t;      // N, in [0, 1)
  at::Tensor noise;  // N×C×h×w, ε
};

// z_t = (1 − t)·z + t·ε with t (N) broadcast over C, h, w. Differentiable in z.
at::Tensor interpolate_noise(const at::Tensor& z, const at::Tensor& t, const at::Tensor& noise);
// Draws t ~ U(0, 1) (N values) then ε ~ N(0, I) (z's shape) from `generator` (on its device, moved to z's;
// the global generator when none), and interpolates. Same generator state -> same draws.
NoisedLatent inject_noise(const at::Tensor& z, c10::optional<at::Generator> generator = c10::nullopt);

class SendVAEMapperImpl : public torch::nn::Module {
 public:
  explicit SendVAEMapperImpl(const SendVAEMapperConfig& config);

  // z: float N×C×h×w -> BatchNorm-normalised z (see the top of this file for train/eval).
  at::Tensor normalize(const at::Tensor& z);
  // Replaces the latent BatchNorm's train-mode forward (SyncBatchNorm in data-parallel training); empty = its own.
  void set_batch_norm(BatchNormFunction batch_norm) { batch_norm_ = std::move(batch_norm); }
  // zt: float N×C×h×w, h and w multiples of p -> tokens N×(h/p·w/p)×teacher_width.
  at::Tensor map(const at::Tensor& zt);

  struct Output {
    at::Tensor tokens;    // N×(h/p·w/p)×teacher_width
    NoisedLatent noised;  // zt is the normalised z itself (t, noise undefined) when noise is off
  };
  // normalize, inject_noise (when `noise`), map. UserError (subject "sendvae-mapper") on a bad shape.
  Output forward(const at::Tensor& z, c10::optional<at::Generator> generator = c10::nullopt, bool noise = true);

  const SendVAEMapperConfig& config() const { return config_; }
  int64_t parameter_count() const;
  // Strict copy of tensors named as above (num_batches_tracked may be absent); errors name `subject`.
  void load_state(const io::NamedArrays& tensors, const std::string& subject);
  io::NamedArrays state_arrays();

 private:
  void check_latent(const at::Tensor& z) const;
  void init_weights();

  SendVAEMapperConfig config_;
  torch::nn::BatchNorm2d latent_norm_{nullptr};
  BatchNormFunction batch_norm_;
  torch::nn::Conv2d patch_proj_{nullptr};
  std::vector<SendVAEMapperBlock> blocks_;
  torch::nn::Sequential projector_{nullptr};
};
TORCH_MODULE(SendVAEMapper);

}  // namespace latentlab::models
