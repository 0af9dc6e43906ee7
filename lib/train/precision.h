// Mixed precision for training forwards: fp32 (default), bf16 autocast on CPU and CUDA (through
// core/compat.h's AutocastScope). fp16 is refused: without a gradient scaler (LibTorch has no C++ GradScaler)
// fp16 gradients underflow; bf16 has fp32's exponent range and needs none. Losses are computed in fp32.
#pragma once

#include <memory>
#include <string>

#include <c10/core/DeviceType.h>

#include "core/compat.h"

namespace latentlab::train {

enum class Precision { FP32, BF16 };

// "fp32" | "bf16"; a usage UserError naming `option` otherwise (with the reason for fp16).
Precision parse_precision(const std::string& name, const std::string& option);
std::string precision_name(Precision precision);

// An autocast scope for a forward pass on `device`, or nullptr for fp32.
std::unique_ptr<compat::AutocastScope> autocast_scope(Precision precision, c10::DeviceType device);

}  // namespace latentlab::train
