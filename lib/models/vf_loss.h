// The VA-VAE vision-foundation (VF) loss (Yao et al. 2025, "Reconstruction vs. Generation"; hustvl/LightningDiT,
// MIT licence, vavae/ldm/modules/losses/contperceptual.py), the linear-alignment baseline Send-VAE improves
// on (PAPER.md §5). The latent z (B×C×h×w) is projected by a 1×1 conv without bias to the teacher width D
// (`reverse_proj`, VFProjection below) giving z' (B×D×h×w); f is the teacher's patch-token map (B×D×h×w,
// teacher tokens placed on the latent grid by models/sendvae_mapper_alignment.h's rule). With N = h·w:
//
//   L_mcos = mean_{b,i} relu(1 − m₁ − cos(z'_bi, f_bi))                    cos over D, eps 1e-8 (F.cosine_similarity)
//   L_mdms = mean_{b,i,j} relu(|ẑ_biᵀ ẑ_bj − f̂_biᵀ f̂_bj| − m₂)            ˆ = unit vector over D (eps 1e-12)
//   L_vf   = distmat_weight·L_mdms + cos_weight·L_mcos                     m₁ = 0.5, m₂ = 0.25, weights 1
//
// and the adaptive weight that scales it in the VAE loss (with vf_weight 0.1):
//
//   λ_vf = clamp(‖∇_E nll‖ / (‖∇_E L_vf‖ + 1e-4), 0, 1e8) · vf_weight, detached,   E = encoder.conv_out.weight
//   total = nll + kl_weight·KL + λ_adv·disc_factor·L_G + λ_vf·L_vf
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>

namespace latentlab::models {

struct VFLossOptions {
  double cos_margin = 0.5;       // m₁
  double distmat_margin = 0.25;  // m₂
  double cos_weight = 1.0;
  double distmat_weight = 1.0;
  double vf_weight = 0.1;  // scales the adaptive weight
  void validate() const;   // usage UserError naming the option for negative values
};

inline constexpr double kVFAdaptiveWeightMax = 1e8;

// VA-VAE's `linear_proj`: Conv2d(C -> D, 1×1, no bias), PyTorch's default initialisation; parameter name
// "linear_proj.weight" (D×C×1×1).
class VFProjectionImpl : public torch::nn::Module {
 public:
  VFProjectionImpl(int64_t latent_channels, int64_t teacher_width);
  at::Tensor forward(const at::Tensor& z);  // B×C×h×w -> B×D×h×w

  torch::nn::Conv2d linear_proj{nullptr};
};
TORCH_MODULE(VFProjection);

struct VFLossTerms {
  at::Tensor cosine;   // L_mcos, 0-dim
  at::Tensor distmat;  // L_mdms, 0-dim
  at::Tensor total;    // L_vf
};

// z_proj: B×D×h×w; teacher: B×N_t×D tokens (moved to the h×w grid). UserError ("vf-loss") on bad shapes.
VFLossTerms vf_loss(const at::Tensor& z_proj, const at::Tensor& teacher, const VFLossOptions& options = {});
// The two terms on maps already aligned (both B×D×h×w).
at::Tensor vf_cosine_loss(const at::Tensor& z_proj, const at::Tensor& teacher_map, double margin);
at::Tensor vf_distance_matrix_loss(const at::Tensor& z_proj, const at::Tensor& teacher_map, double margin);

// λ_vf above: the adaptive weight at the encoder's last layer (see models/gan_losses.h adaptive_weight).
at::Tensor vf_adaptive_weight(const at::Tensor& nll_loss, const at::Tensor& vf_loss_value,
                              const at::Tensor& encoder_last_layer, const VFLossOptions& options = {});

}  // namespace latentlab::models
