// The one translation unit that includes <torch/script.h> (torch::jit::load).
#include "models/teacher_torchscript.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <torch/script.h>

#include "core/error.h"
#include "io/sha256.h"

namespace latentlab::models {

struct TorchScriptTeacher::Module {
  torch::jit::Module module;
};

TorchScriptTeacher::TorchScriptTeacher(const TorchScriptTeacherOptions& options)
    : options_(options), module_(std::make_unique<Module>()) {
  if (options_.size < 1) fail_usage("teacher", "the TorchScript input size must be positive, got {}", options_.size);
  const std::string sha256 = io::sha256_file(options_.path);  // also the readable-file check, one clear line
  try {
    module_->module = torch::jit::load(options_.path, at::Device(at::kCPU));
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    fail(options_.path, "not a TorchScript module: {}", what.substr(0, what.find('\n')));
  }
  module_->module.eval();
  for (auto p : module_->module.parameters()) p.set_requires_grad(false);
  const at::Tensor probe = run(at::zeros({1, 3, options_.size, options_.size}));
  width_ = probe.size(1);
  const std::string handling =
      fmt::format("(input {}², {}, bicubic resize; output {}) sha256 {}", options_.size,
                  teacher_normalization_name(options_.normalization), fmt::join(probe.sizes(), "×"), sha256);
  description_ = fmt::format("torchscript {} {}", options_.path, handling);
  identity_ = "torchscript " + handling;
}

TorchScriptTeacher::~TorchScriptTeacher() = default;

// The module's output as a (B, D, h, w) map.
at::Tensor TorchScriptTeacher::run(const at::Tensor& images) {
  at::NoGradGuard no_grad;
  const at::Tensor x =
      resize_teacher_input(normalize_teacher_input(images, options_.normalization), options_.size, options_.size);
  c10::IValue out;
  try {
    out = module_->module.forward({x});
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    fail(options_.path, "forward failed: {}", what.substr(0, what.find('\n')));
  }
  if (out.isTuple()) out = out.toTupleRef().elements().at(0);
  if (out.isList()) out = out.toListRef().at(0);
  if (!out.isTensor()) fail(options_.path, "forward returned {}, not a tensor", out.tagKind());
  return token_map_from_output(out.toTensor().detach().to(at::kFloat), options_.path);
}

at::Tensor TorchScriptTeacher::patch_tokens(const at::Tensor& images, int64_t grid_h, int64_t grid_w) {
  check_teacher_grid(grid_h, grid_w);
  at::NoGradGuard no_grad;
  return resample_token_map(run(images), grid_h, grid_w);
}

void TorchScriptTeacher::to(const c10::Device& device) {
  module_->module.to(device);
}

}  // namespace latentlab::models
