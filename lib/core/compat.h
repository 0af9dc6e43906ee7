// Every difference between Debian's LibTorch 1.13 (CPU build) and the 2.x LibTorch of the GPU build lives
// here, so no other file tests TORCH_VERSION. Covered by tests/unit/core/compat_test.cpp.
#pragma once

#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>
#include <torch/version.h>

#define LATENTLAB_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace torch::optim {
class Optimizer;
}

namespace latentlab::compat {

// Softmax attention. q: (B, H, Lq, D), k and v: (B, H, Lk, D), same dtype; returns (B, H, Lq, D).
// 2.x: the public fused op; 1.13: its private predecessor, which computes the same thing.
at::Tensor scaled_dot_product_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                        bool causal = false);

// Autocast per device type (kCPU or kCUDA); the 2.4 API renamed these functions.
void set_autocast(c10::DeviceType device, bool enabled, c10::ScalarType dtype);
bool autocast_enabled(c10::DeviceType device);

// Enables autocast for a scope and restores the previous state after it.
class AutocastScope {
 public:
  AutocastScope(c10::DeviceType device, c10::ScalarType dtype, bool enabled = true);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  c10::DeviceType device_;
  bool was_enabled_;
  c10::ScalarType previous_dtype_;
};

// Allows or forbids TF32 in cuDNN convolutions and cuBLAS matmuls for a scope and restores the previous
// switches after it (process-wide flags; PyTorch 2.9 added a per-backend precision API beside these).
// Metrics run with TF32 off (METRICS.md: TF32 silently on is a known source of FID drift).
class TF32Scope {
 public:
  explicit TF32Scope(bool allow);
  ~TF32Scope();
  TF32Scope(const TF32Scope&) = delete;
  TF32Scope& operator=(const TF32Scope&) = delete;

 private:
  bool cudnn_, cublas_;
};

// Sets the learning rate of every parameter group. LibTorch 1.13 has only StepLR, so schedules
// (warm-up, cosine) are plain functions of the step in lib/train and applied through this.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

// tensors[i] *= factor (a 0-dim tensor on their device) for every i, without reading factor back: one
// multi-tensor kernel from 2.1 on; 1.13 has no tensor-scalar _foreach_mul_ and loops.
void foreach_mul_(std::vector<at::Tensor>& tensors, const at::Tensor& factor);

std::string torch_version();  // "1.13.0"
int cuda_device_count();      // 0 when the build or the machine has no GPU
std::string cuda_device_name(int index);

}  // namespace latentlab::compat
