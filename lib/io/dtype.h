// Element types of the arrays latentlab reads and writes, with their names in each on-disk format.
// Data are always little-endian in memory (x86-64 and aarch64 hosts).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace latentlab::io {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool };

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);  // safetensors spelling: "F32", "BOOL", …

// safetensors names ("F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL").
std::optional<DType> dtype_from_safetensors(const std::string& name);
// numpy descr without byte order ("f4", "u1", "b1", …); nullopt for types latentlab does not handle.
std::optional<DType> dtype_from_numpy(const std::string& kind_and_size);
const char* numpy_descr(DType dtype);  // "<f4", "|u1", "|b1", … (no numpy name for BF16: returns nullptr)
// PyTorch storage class names ("FloatStorage", "HalfStorage", …).
std::optional<DType> dtype_from_torch_storage(const std::string& name);

}  // namespace latentlab::io
