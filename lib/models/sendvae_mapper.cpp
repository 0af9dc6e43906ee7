#include "models/sendvae_mapper.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <c10/util/StringUtil.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>

#include "core/error.h"
#include "models/module_state.h"
#include "models/sendvae_mapper_positions.h"

namespace latentlab::models {
namespace {

constexpr const char* kMapperSubject = "sendvae-mapper";

struct Parent : torch::nn::Module {};  // names patch_embed.proj like the REPA/SiT x_embedder

}  // namespace

SendVAEMapperConfig SendVAEMapperConfig::for_teacher(int64_t latent_channels, int64_t patch_size, int64_t teacher_width,
                                                     int64_t depth) {
  SendVAEMapperConfig c;
  c.latent_channels = latent_channels;
  c.patch_size = patch_size;
  c.width = c.teacher_width = teacher_width;
  c.depth = depth;
  c.heads = teacher_width == 768 ? 12 : teacher_width == 1024 ? 16 : std::max<int64_t>(1, teacher_width / 64);
  return c;
}

void SendVAEMapperConfig::validate(const std::string& subject) const {
  if (latent_channels < 1 || patch_size < 1 || width < 1 || heads < 1 || mlp_ratio < 1 || projector_hidden < 1 ||
      teacher_width < 1 || depth < 0)
    fail(subject,
         "invalid Send-VAE mapper config: latent_channels {}, patch_size {}, width {}, depth {}, heads {}, "
         "mlp_ratio {}, projector_hidden {}, teacher_width {} (sizes must be positive, depth ≥ 0)",
         latent_channels, patch_size, width, depth, heads, mlp_ratio, projector_hidden, teacher_width);
  if (width % heads != 0) fail(subject, "mapper width {} is not divisible by {} heads", width, heads);
  if (width % 4 != 0) fail(subject, "mapper width {} must be a multiple of 4 (2-D sin-cos positions)", width);
  if (!(bn_eps > 0) || !(bn_momentum >= 0 && bn_momentum <= 1) || !(ln_eps > 0))
    fail(subject, "invalid mapper norm settings: bn_eps {}, bn_momentum {}, ln_eps {}", bn_eps, bn_momentum, ln_eps);
}

at::Tensor interpolate_noise(const at::Tensor& z, const at::Tensor& t, const at::Tensor& noise) {
  const at::Tensor tb = t.to(z.scalar_type()).reshape({-1, 1, 1, 1});
  return (1.0 - tb) * z + tb * noise;
}

NoisedLatent inject_noise(const at::Tensor& z, c10::optional<at::Generator> generator) {
  NoisedLatent out;
  if (generator.has_value()) {
    const auto options = z.options().device(generator->device());
    out.t = at::rand({z.size(0)}, generator, options).to(z.device());
    out.noise = at::randn(z.sizes(), generator, options).to(z.device());
  } else {
    out.t = at::rand({z.size(0)}, z.options());
    out.noise = at::randn(z.sizes(), z.options());
  }
  out.zt = interpolate_noise(z, out.t, out.noise);
  return out;
}

SendVAEMapperImpl::SendVAEMapperImpl(const SendVAEMapperConfig& config) : config_(config) {
  config_.validate(kMapperSubject);
  const auto& c = config_;
  latent_norm_ = register_module("latent_norm", torch::nn::BatchNorm2d(torch::nn::BatchNormOptions(c.latent_channels)
                                                                           .eps(c.bn_eps)
                                                                           .momentum(c.bn_momentum)
                                                                           .affine(false)
                                                                           .track_running_stats(true)));
  auto patch_embed = register_module("patch_embed", std::make_shared<Parent>());
  patch_proj_ = patch_embed->register_module(
      "proj",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(c.latent_channels, c.width, c.patch_size).stride(c.patch_size)));
  torch::nn::ModuleList blocks;
  for (int64_t i = 0; i < c.depth; ++i) {
    blocks_.emplace_back(c.width, c.heads, c.mlp_ratio * c.width, c.ln_eps);
    blocks->push_back(blocks_.back());
  }
  if (c.depth > 0) register_module("blocks", blocks);
  projector_ = register_module(
      "projector", torch::nn::Sequential(torch::nn::Linear(c.width, c.projector_hidden), torch::nn::SiLU(),
                                         torch::nn::Linear(c.projector_hidden, c.projector_hidden), torch::nn::SiLU(),
                                         torch::nn::Linear(c.projector_hidden, c.teacher_width)));
  init_weights();
}

void SendVAEMapperImpl::init_weights() {
  at::NoGradGuard no_grad;
  for (const auto& module : modules(/*include_self=*/false)) {
    if (auto* linear = module->as<torch::nn::Linear>()) {
      torch::nn::init::xavier_uniform_(linear->weight);
      torch::nn::init::zeros_(linear->bias);
    }
  }
  torch::nn::init::xavier_uniform_(patch_proj_->weight.view({config_.width, -1}));
  torch::nn::init::zeros_(patch_proj_->bias);
}

void SendVAEMapperImpl::check_latent(const at::Tensor& z) const {
  const int64_t p = config_.patch_size;
  if (z.dim() != 4 || z.size(0) < 1 || z.size(1) != config_.latent_channels || z.size(2) < p || z.size(3) < p ||
      z.size(2) % p != 0 || z.size(3) % p != 0)
    fail(kMapperSubject, "latents must be N×{}×h×w with h and w positive multiples of the patch size {}, got {}",
         config_.latent_channels, p, c10::str(z.sizes()));
  if (!at::isFloatingType(z.scalar_type()))
    fail(kMapperSubject, "latents must be floating point, got {}", c10::toString(z.scalar_type()));
}

at::Tensor SendVAEMapperImpl::normalize(const at::Tensor& z) {
  check_latent(z);
  return batch_norm_ && latent_norm_->is_training() ? batch_norm_(*latent_norm_, z) : latent_norm_->forward(z);
}

at::Tensor SendVAEMapperImpl::map(const at::Tensor& zt) {
  check_latent(zt);
  const at::Tensor grid = patch_proj_->forward(zt);  // N×D×h'×w'
  const int64_t rows = grid.size(2), cols = grid.size(3);
  at::Tensor x = grid.flatten(2).transpose(1, 2) +
                 sincos_2d_position_embedding(config_.width, rows, cols, grid.options()).unsqueeze(0);
  for (auto& block : blocks_) x = block->forward(x);
  return projector_->forward(x);
}

SendVAEMapperImpl::Output SendVAEMapperImpl::forward(const at::Tensor& z, c10::optional<at::Generator> generator,
                                                     bool noise) {
  Output out;
  const at::Tensor normalized = normalize(z);
  if (noise) {
    out.noised = inject_noise(normalized, generator);
  } else {
    out.noised.zt = normalized;
  }
  out.tokens = map(out.noised.zt);
  return out;
}

int64_t SendVAEMapperImpl::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

void SendVAEMapperImpl::load_state(const io::NamedArrays& tensors, const std::string& subject) {
  load_module_state(*this, tensors, subject,
                    fmt::format("Send-VAE mapper (C {}, p {}, D {}, depth {}, teacher {})", config_.latent_channels,
                                config_.patch_size, config_.width, config_.depth, config_.teacher_width),
                    ".num_batches_tracked");
}

io::NamedArrays SendVAEMapperImpl::state_arrays() {
  return module_state_arrays(*this);
}

}  // namespace latentlab::models
