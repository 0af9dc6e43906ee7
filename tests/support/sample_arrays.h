// Test arrays with distinct, non-periodic bytes per element, so that any reordering, truncation or byte
// swap shows in a comparison. Shared by the format tests (safetensors, npy, npz and their fuzzers).
#pragma once

#include <memory>
#include <vector>

#include "core/error.h"
#include "io/array.h"

namespace latentlab::testing {

inline constexpr io::DType kAllDTypes[] = {io::DType::F64, io::DType::F32, io::DType::F16, io::DType::BF16,
                                           io::DType::I64, io::DType::I32, io::DType::I16, io::DType::I8,
                                           io::DType::U8,  io::DType::Bool};
// numpy has no bfloat16.
inline constexpr io::DType kNumpyDTypes[] = {io::DType::F64, io::DType::F32, io::DType::F16,
                                             io::DType::I64, io::DType::I32, io::DType::I16,
                                             io::DType::I8,  io::DType::U8,  io::DType::Bool};

// Bytes i*7 + i/251 + seed (bool: 0/1 in a pattern that depends on the seed).
inline io::Array sample_array(io::DType dtype, const io::Shape& shape, uint8_t seed = 0) {
  const size_t n = io::checked_numel(shape, "test"), size = io::dtype_size(dtype);
  auto buffer = std::make_shared<std::vector<uint8_t>>(n * size);
  for (size_t i = 0; i < buffer->size(); ++i) (*buffer)[i] = static_cast<uint8_t>(i * 7 + i / 251 + seed);
  if (dtype == io::DType::Bool)
    for (size_t i = 0; i < n; ++i) (*buffer)[i] = (i + seed) % 3 == 0;
  return io::Array::from_buffer(dtype, shape, buffer);
}

inline std::vector<uint8_t> bytes_of(const io::Array& a) {
  return {a.data, a.data + a.nbytes};
}

}  // namespace latentlab::testing
