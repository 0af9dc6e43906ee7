#include "models/vf_loss.h"

#include <ATen/ATen.h>
#include <c10/util/StringUtil.h>

#include "core/error.h"
#include "models/gan_losses.h"
#include "models/sendvae_mapper_alignment.h"

namespace latentlab::models {
namespace {

constexpr const char* kVFLossSubject = "vf-loss";

// B×D×h×w -> B×D×N with unit columns (F.normalize over D).
at::Tensor unit_columns(const at::Tensor& map) {
  const at::Tensor flat = map.flatten(2);
  return flat / flat.norm(2, {1}, /*keepdim=*/true).clamp_min(1e-12);
}

}  // namespace

void VFLossOptions::validate() const {
  auto non_negative = [](double value, const char* option) {
    if (!(value >= 0)) fail_usage(option, "must be ≥ 0, got {}", value);
  };
  non_negative(cos_margin, "--vf-cos-margin");
  non_negative(distmat_margin, "--vf-distmat-margin");
  non_negative(cos_weight, "--vf-cos-weight");
  non_negative(distmat_weight, "--vf-distmat-weight");
  non_negative(vf_weight, "--vf-weight");
}

VFProjectionImpl::VFProjectionImpl(int64_t latent_channels, int64_t teacher_width) {
  linear_proj = register_module(
      "linear_proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(latent_channels, teacher_width, 1).bias(false)));
}

at::Tensor VFProjectionImpl::forward(const at::Tensor& z) {
  return linear_proj->forward(z);
}

at::Tensor vf_cosine_loss(const at::Tensor& z_proj, const at::Tensor& teacher_map, double margin) {
  return at::relu(1.0 - margin - at::cosine_similarity(teacher_map, z_proj, 1, 1e-8)).mean();
}

at::Tensor vf_distance_matrix_loss(const at::Tensor& z_proj, const at::Tensor& teacher_map, double margin) {
  const at::Tensor z = unit_columns(z_proj), f = unit_columns(teacher_map);
  const at::Tensor diff = (at::bmm(z.transpose(1, 2), z) - at::bmm(f.transpose(1, 2), f)).abs();
  return at::relu(diff - margin).mean();
}

VFLossTerms vf_loss(const at::Tensor& z_proj, const at::Tensor& teacher, const VFLossOptions& options) {
  if (z_proj.dim() != 4) fail(kVFLossSubject, "projected latents must be B×D×h×w, got {}", c10::str(z_proj.sizes()));
  if (teacher.dim() != 3 || teacher.size(0) != z_proj.size(0) || teacher.size(2) != z_proj.size(1))
    fail(kVFLossSubject, "teacher tokens must be B×N×D = {}×N×{}, got {}", z_proj.size(0), z_proj.size(1),
         c10::str(teacher.sizes()));
  const int64_t rows = z_proj.size(2), cols = z_proj.size(3);
  const at::Tensor map =
      teacher_tokens_to_grid(teacher, rows, cols, kVFLossSubject).transpose(1, 2).reshape(z_proj.sizes());
  VFLossTerms out;
  out.cosine = vf_cosine_loss(z_proj, map, options.cos_margin);
  out.distmat = vf_distance_matrix_loss(z_proj, map, options.distmat_margin);
  out.total = options.distmat_weight * out.distmat + options.cos_weight * out.cosine;
  return out;
}

at::Tensor vf_adaptive_weight(const at::Tensor& nll_loss, const at::Tensor& vf_loss_value,
                              const at::Tensor& encoder_last_layer, const VFLossOptions& options) {
  return adaptive_weight(nll_loss, vf_loss_value, encoder_last_layer, kVFAdaptiveWeightMax, options.vf_weight);
}

}  // namespace latentlab::models
