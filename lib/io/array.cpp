#include "io/array.h"

#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)

#include "core/error.h"

namespace latentlab::io {

int64_t Array::numel() const {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

Array Array::copy_of(DType dtype, Shape shape, const void* bytes, size_t nbytes) {
  auto buffer = std::make_shared<std::vector<uint8_t>>(nbytes);
  if (nbytes) std::memcpy(buffer->data(), bytes, nbytes);
  return from_buffer(dtype, std::move(shape), std::move(buffer));
}

Array Array::from_buffer(DType dtype, Shape shape, std::shared_ptr<std::vector<uint8_t>> buffer) {
  Array a;
  a.dtype = dtype;
  a.shape = std::move(shape);
  a.data = buffer->data();
  a.nbytes = buffer->size();
  LATENTLAB_ASSERT(a.nbytes == static_cast<size_t>(a.numel()) * dtype_size(dtype), "buffer size {} != {} x {}",
                   a.nbytes, a.numel(), dtype_size(dtype));
  a.owner = std::move(buffer);
  return a;
}

uint64_t checked_numel(const Shape& shape, const std::string& subject) {
  uint64_t n = 1;
  for (auto d : shape) {
    if (d < 0) fail(subject, "negative dimension in shape {}", shape_string(shape));
    n = checked_mul(n, static_cast<uint64_t>(d), subject);
  }
  return n;
}

std::string shape_string(const Shape& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

}  // namespace latentlab::io
