// The TorchScript teacher (spec `torchscript:<file>[:<size>][:<normalisation>]`): any module saved by
// `torch.jit.script(...).save()` or `torch.jit.trace(...).save()`, frozen and in eval mode.
//   input   [−1, 1] images → the normalisation (default imagenet: ImageNet mean/std of [0, 1] pixels; unit =
//           [0, 1]; signed = [−1, 1] unchanged) → bicubic resize to size × size (default 224; REPA's resize)
//   output  forward(x) must return a tensor, or a tuple/list whose first item is one: (B, N, D) tokens on a
//           square grid, optionally after one CLS token, or a (B, D, h, w) map
//   grid    the token map is brought to the requested grid by area resampling (adaptive average pooling)
//           when the grid is no larger, else bilinearly (models/teacher_grid.h)
// The width is found once at load time by running the module on one blank image.
#pragma once

#include <memory>
#include <string>

#include "models/teacher.h"
#include "models/teacher_grid.h"

namespace latentlab::models {

struct TorchScriptTeacherOptions {
  std::string path;
  int64_t size = 224;
  TeacherNormalization normalization = TeacherNormalization::ImageNet;
};

class TorchScriptTeacher : public Teacher {
 public:
  // Throws UserError naming the file when it is not a loadable TorchScript module or its output has none of
  // the shapes above.
  explicit TorchScriptTeacher(const TorchScriptTeacherOptions& options);
  ~TorchScriptTeacher() override;

  at::Tensor patch_tokens(const at::Tensor& images, int64_t grid_h, int64_t grid_w) override;
  int64_t width() const override { return width_; }
  std::string description() const override { return description_; }
  std::string identity() const override { return identity_; }
  void to(const c10::Device& device) override;

 private:
  struct Module;  // torch::jit::Module, kept out of this header (<torch/script.h> is expensive)
  at::Tensor run(const at::Tensor& images);

  TorchScriptTeacherOptions options_;
  std::unique_ptr<Module> module_;
  int64_t width_ = 0;
  std::string description_, identity_;
};

}  // namespace latentlab::models
