// A frozen feature network whose patch tokens a student is aligned to: the VAE latents of Send-VAE and VA-VAE
// (train-vae) and SiT's block-k tokens under REPA (train-ldm). Implementations: DINOv2 (published weights), any
// TorchScript module, and the small procedural stand-in that `latentlab train-teacher` trains (docs/training.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

namespace latentlab::models {

class Teacher {
 public:
  virtual ~Teacher() = default;

  // images: (B, 3, H, W) float32 in [−1, 1] (the VAE's input range) on the teacher's device; the teacher applies
  // its own resize and normalisation. Returns detached (B, grid_h·grid_w, width()) patch tokens, row-major over
  // a grid_h × grid_w grid, so that they line up with the student's tokens of that grid.
  virtual at::Tensor patch_tokens(const at::Tensor& images, int64_t grid_h, int64_t grid_w) = 0;

  virtual int64_t width() const = 0;

  // One line for protocols and checkpoints: kind, preset and the weights' SHA-256.
  virtual std::string description() const = 0;

  // What fixes the tokens, without where the weights lie: the description without the file path (kind,
  // preset, input handling, the weights' SHA-256). Teacher tokens cached in a latent store carry it, and
  // train-ldm reads them only for a teacher with the same identity.
  virtual std::string identity() const { return description(); }

  virtual void to(const c10::Device& device) = 0;
};

// A teacher from a spec string (the `teacher` option of train-vae / train-ldm):
//   dinov2:<preset>:<weights>      DINOv2 ViT-S/B/L/g-14 (models/dinov2.h), published .pth or safetensors
//   torchscript:<file>[:<size>][:<normalisation>]
//                                  a TorchScript module fed size × size images (default 224)
//   procedural:<weights>           the stand-in trained by `latentlab train-teacher`
// Throws UserError naming the option `teacher` for a malformed spec, and the file for unreadable weights.
std::unique_ptr<Teacher> make_teacher(const std::string& spec);
// The spec forms above in one line, for option help texts and errors.
const char* teacher_spec_forms();

}  // namespace latentlab::models
