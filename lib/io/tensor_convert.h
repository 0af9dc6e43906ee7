// Array <-> at::Tensor. The only io header that sees torch (narrow ATen header only).
#pragma once

#include <ATen/core/Tensor.h>

#include "io/array.h"

namespace latentlab::io {

// A CPU tensor sharing the array's bytes (no copy); the tensor keeps `array.owner` alive. Read-only use:
// the bytes may be a read-only memory map, so call .clone() before writing into it.
at::Tensor to_tensor(const Array& array);
// A contiguous CPU copy of `tensor` (any device). Throws UserError for dtypes no format can hold.
Array to_array(const at::Tensor& tensor, const std::string& name = "tensor");

c10::ScalarType to_scalar_type(DType dtype);
DType from_scalar_type(c10::ScalarType type, const std::string& name);

}  // namespace latentlab::io
