#include "io/tensor_convert.h"

#include <ATen/ATen.h>

#include "core/error.h"

namespace latentlab::io {

c10::ScalarType to_scalar_type(DType dtype) {
  switch (dtype) {
    case DType::F64:
      return at::kDouble;
    case DType::F32:
      return at::kFloat;
    case DType::F16:
      return at::kHalf;
    case DType::BF16:
      return at::kBFloat16;
    case DType::I64:
      return at::kLong;
    case DType::I32:
      return at::kInt;
    case DType::I16:
      return at::kShort;
    case DType::I8:
      return at::kChar;
    case DType::U8:
      return at::kByte;
    case DType::Bool:
      return at::kBool;
  }
  LATENTLAB_ASSERT(false, "unknown dtype {}", static_cast<int>(dtype));
}

DType from_scalar_type(c10::ScalarType type, const std::string& name) {
  for (DType d : {DType::F64, DType::F32, DType::F16, DType::BF16, DType::I64, DType::I32, DType::I16, DType::I8,
                  DType::U8, DType::Bool})
    if (to_scalar_type(d) == type) return d;
  fail(name, "dtype {} cannot be stored", c10::toString(type));
}

at::Tensor to_tensor(const Array& array) {
  auto owner = array.owner;
  std::vector<int64_t> sizes(array.shape.begin(), array.shape.end());
  if (array.nbytes == 0) return at::empty(sizes, at::TensorOptions().dtype(to_scalar_type(array.dtype)));
  return at::from_blob(
      const_cast<uint8_t*>(array.data), sizes, [owner](void*) mutable { owner.reset(); },
      at::TensorOptions().dtype(to_scalar_type(array.dtype)));
}

Array to_array(const at::Tensor& tensor, const std::string& name) {
  const DType dtype = from_scalar_type(tensor.scalar_type(), name);
  const at::Tensor host = tensor.to(at::kCPU).contiguous();
  Shape shape(host.sizes().begin(), host.sizes().end());
  return Array::copy_of(dtype, std::move(shape), host.data_ptr(), host.numel() * host.element_size());
}

}  // namespace latentlab::io
