// The torch-free array every reader returns and every writer takes: dtype, shape, and a view of contiguous
// C-order little-endian bytes kept alive by `owner` (a memory map, a buffer read from a file, …). Readers
// validate sizes before building one, so `nbytes == numel * dtype_size` always holds.
// Conversion to and from at::Tensor lives in io/tensor_convert.h, the only io header that sees torch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "io/dtype.h"

namespace latentlab::io {

using Shape = std::vector<int64_t>;

struct Array {
  DType dtype = DType::F32;
  Shape shape;
  const uint8_t* data = nullptr;
  size_t nbytes = 0;
  std::shared_ptr<const void> owner;

  int64_t numel() const;
  // Copies `bytes` into a new owned buffer.
  static Array copy_of(DType dtype, Shape shape, const void* bytes, size_t nbytes);
  // Takes ownership of a buffer.
  static Array from_buffer(DType dtype, Shape shape, std::shared_ptr<std::vector<uint8_t>> buffer);
};

// Name -> array, in file order (state dicts keep their order; writers keep the caller's order).
using NamedArrays = std::vector<std::pair<std::string, Array>>;

// numel of `shape`, checked against overflow and negative dimensions; errors name `subject`.
uint64_t checked_numel(const Shape& shape, const std::string& subject);
std::string shape_string(const Shape& shape);  // "[3, 64, 64]"

}  // namespace latentlab::io
