#include "io/dtype.h"

#include <array>
#include <cstring>

namespace latentlab::io {
namespace {

struct DTypeNames {
  DType dtype;
  size_t size;
  const char* safetensors;
  const char* numpy;  // nullptr: numpy has no such type
  const char* torch_storage;
};

constexpr std::array<DTypeNames, 10> kNames{{
    {DType::F64, 8, "F64", "<f8", "DoubleStorage"},
    {DType::F32, 4, "F32", "<f4", "FloatStorage"},
    {DType::F16, 2, "F16", "<f2", "HalfStorage"},
    {DType::BF16, 2, "BF16", nullptr, "BFloat16Storage"},
    {DType::I64, 8, "I64", "<i8", "LongStorage"},
    {DType::I32, 4, "I32", "<i4", "IntStorage"},
    {DType::I16, 2, "I16", "<i2", "ShortStorage"},
    {DType::I8, 1, "I8", "|i1", "CharStorage"},
    {DType::U8, 1, "U8", "|u1", "ByteStorage"},
    {DType::Bool, 1, "BOOL", "|b1", "BoolStorage"},
}};

const DTypeNames& names(DType dtype) {
  return kNames[static_cast<size_t>(dtype)];
}

}  // namespace

size_t dtype_size(DType dtype) {
  return names(dtype).size;
}
const char* dtype_name(DType dtype) {
  return names(dtype).safetensors;
}
const char* numpy_descr(DType dtype) {
  return names(dtype).numpy;
}

std::optional<DType> dtype_from_safetensors(const std::string& name) {
  for (const auto& n : kNames)
    if (name == n.safetensors) return n.dtype;
  return std::nullopt;
}

std::optional<DType> dtype_from_numpy(const std::string& kind_and_size) {
  for (const auto& n : kNames)
    if (n.numpy && kind_and_size == n.numpy + 1) return n.dtype;
  return std::nullopt;
}

std::optional<DType> dtype_from_torch_storage(const std::string& name) {
  for (const auto& n : kNames)
    if (name == n.torch_storage) return n.dtype;
  return std::nullopt;
}

}  // namespace latentlab::io
