#include "train/ldm_sample_grid.h"

#include <filesystem>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <fmt/format.h>

#include "core/error.h"
#include "core/log.h"
#include "diffusion/sample_plan.h"
#include "diffusion/sampler.h"
#include "diffusion/sit_velocity.h"
#include "models/autoencoder_kl.h"
#include "models/sit.h"
#include "train/image_grid.h"

namespace latentlab::train {
namespace {

// Sample i's channels as a row of grey (C, 3, S, S) images, S >= 32.
at::Tensor channel_row(const at::Tensor& latent) {
  const int64_t side = latent.size(-1), factor = std::max<int64_t>(1, (32 + side - 1) / side);
  at::Tensor grey = (latent.unsqueeze(1) / 3.0).clamp(-1, 1).repeat({1, 3, 1, 1});
  return at::upsample_nearest2d(grey, {side * factor, side * factor});
}

}  // namespace

LdmSampleGrid::LdmSampleGrid(const LdmTrainOptions& options, const diffusion::LatentNorm& norm, int64_t classes,
                             std::vector<int64_t> latent_shape)
    : options_(options), norm_(norm), classes_(classes), shape_(std::move(latent_shape)) {
  if (options_.vae.empty()) return;
  vae_ = std::make_unique<models::AutoencoderKL>(models::AutoencoderKL::load(options_.vae));
  if (!norm_.vae_sha256.empty() && vae_->weights_sha256() != norm_.vae_sha256)
    fail_usage("--vae", "{} is not the VAE of {} (SHA-256 {} vs the store's {})", options_.vae, options_.store,
               vae_->weights_sha256(), norm_.vae_sha256);
  vae_->to(c10::Device(options_.device));
}

LdmSampleGrid::~LdmSampleGrid() = default;
LdmSampleGrid::LdmSampleGrid(LdmSampleGrid&&) noexcept = default;

std::string LdmSampleGrid::write(const models::SiT& sit, int64_t step) const {
  at::NoGradGuard no_grad;
  const auto draws = diffusion::draw_samples(0, options_.grid_images, shape_, {"balanced", classes_},
                                             static_cast<uint64_t>(options_.seed));
  diffusion::SamplerOptions sampler;
  sampler.kind = "ode";
  sampler.steps = options_.grid_steps;
  sampler.guidance.scale = options_.grid_cfg;
  sampler.null_class = sit.null_class();
  const at::Tensor x = diffusion::sample(diffusion::sit_velocity(sit), draws.noise, draws.labels, sampler);
  std::vector<at::Tensor> rows;
  if (vae_) {
    const at::Tensor z = norm_.denormalize(x).to(vae_->device(), at::kFloat);
    rows.push_back(vae_->decode(z).to(at::kCPU, at::kFloat));
  } else {
    for (int64_t i = 0; i < x.size(0); ++i) rows.push_back(channel_row(x[i].to(at::kFloat)));
  }
  std::filesystem::create_directories(options_.out + "/grids");
  const std::string path = write_grid_image(fmt::format("{}/grids/step-{:07d}", options_.out, step), tile_grid(rows));
  log::info("train-ldm: sample grid {}", path);
  return path;
}

}  // namespace latentlab::train
