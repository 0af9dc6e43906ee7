#include "train/precision.h"

#include "core/error.h"

namespace latentlab::train {

Precision parse_precision(const std::string& name, const std::string& option) {
  if (name == "fp32") return Precision::FP32;
  if (name == "bf16") return Precision::BF16;
  if (name == "fp16")
    fail_usage(option, "fp16 needs gradient scaling, which LibTorch's C++ API lacks; use bf16 (or fp32)");
  fail_usage(option, "must be fp32 or bf16, got '{}'", name);
}

std::string precision_name(Precision precision) {
  return precision == Precision::BF16 ? "bf16" : "fp32";
}

std::unique_ptr<compat::AutocastScope> autocast_scope(Precision precision, c10::DeviceType device) {
  if (precision == Precision::FP32) return nullptr;
  return std::make_unique<compat::AutocastScope>(device, c10::ScalarType::BFloat16);
}

}  // namespace latentlab::train
