// The DINOv2 teacher (spec `dinov2:<preset>:<weights>`): normalised patch tokens (x_norm_patchtokens) of a
// DINOv2 ViT-S/B/L/g-14 on the grid the student asks for. Input preparation, as REPA / REPA-E prepare
// DINOv2's input (TRAINING.md §5): [−1, 1] → [0, 1] → ImageNet mean/std → bicubic resize (A = −0.75,
// align_corners false, no antialias) to (grid_h·14, grid_w·14); the position embeddings are resampled to
// that grid by the model (models/dinov2.h). At grid 16 this is the 224² input of REPA and Send-VAE.
#pragma once

#include <memory>
#include <string>

#include "models/teacher.h"

namespace latentlab::models {

class DinoV2;

class DinoV2Teacher : public Teacher {
 public:
  // `model` in eval mode on the CPU; `description` is the line description() returns, `identity` what
  // identity() returns (empty: the description).
  DinoV2Teacher(std::shared_ptr<DinoV2> model, std::string description, std::string identity = {});

  // Loads `path` (models/dinov2_weights.h) and checks that it is `preset` (a UserError naming the file
  // otherwise); an unknown preset is a UserError naming `teacher`.
  static std::unique_ptr<DinoV2Teacher> load(const std::string& preset, const std::string& path);

  at::Tensor patch_tokens(const at::Tensor& images, int64_t grid_h, int64_t grid_w) override;
  int64_t width() const override;
  std::string description() const override { return description_; }
  std::string identity() const override { return identity_.empty() ? description_ : identity_; }
  void to(const c10::Device& device) override;

 private:
  std::shared_ptr<DinoV2> model_;
  std::string description_, identity_;
};

}  // namespace latentlab::models
