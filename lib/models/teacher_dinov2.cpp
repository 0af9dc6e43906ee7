#include "models/teacher_dinov2.h"

#include <fmt/format.h>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "models/dinov2.h"
#include "models/dinov2_weights.h"
#include "models/teacher_grid.h"

namespace latentlab::models {

DinoV2Teacher::DinoV2Teacher(std::shared_ptr<DinoV2> model, std::string description, std::string identity)
    : model_(std::move(model)), description_(std::move(description)), identity_(std::move(identity)) {
  model_->eval();
  for (auto& p : model_->parameters()) p.set_requires_grad(false);  // frozen: no graph through the teacher
}

std::unique_ptr<DinoV2Teacher> DinoV2Teacher::load(const std::string& preset, const std::string& path) {
  DinoV2Config::preset_config(preset, "teacher");  // an unknown preset names the option, before reading
  DinoV2LoadOptions options;
  options.expect_preset = preset;
  DinoV2WeightsInfo info;
  auto model = load_dinov2(path, options, &info);
  const std::string kind =
      fmt::format("dinov2 {} (patch tokens, bicubic resize, imagenet normalisation)", info.config.preset);
  return std::make_unique<DinoV2Teacher>(std::move(model), fmt::format("{} {} sha256 {}", kind, path, info.sha256),
                                         fmt::format("{} sha256 {}", kind, info.sha256));
}

at::Tensor DinoV2Teacher::patch_tokens(const at::Tensor& images, int64_t grid_h, int64_t grid_w) {
  check_teacher_grid(grid_h, grid_w);
  at::NoGradGuard no_grad;
  const int64_t patch = model_->config().patch_size;
  const at::Tensor x = resize_teacher_input(normalize_teacher_input(images, TeacherNormalization::ImageNet),
                                            grid_h * patch, grid_w * patch);
  return model_->forward(x).patch_tokens.detach();
}

int64_t DinoV2Teacher::width() const {
  return model_->config().embed_dim;
}

void DinoV2Teacher::to(const c10::Device& device) {
  model_->to(device);
}

}  // namespace latentlab::models
