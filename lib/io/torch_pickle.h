// How torch.save uses pickle, and the hooks (io/pickle.h) that interpret it without running Python.
//
// Storages are persistent ids, tuples
//     ('storage', torch.<Type>Storage, key: str, location: str, numel: int[, view_metadata])
// where numel counts elements of the storage type (bytes for torch.UntypedStorage) and view_metadata,
// written only by the legacy format, is None or (view_key, offset, size): the value is elements
// [offset, offset + size) of storage `key`. The id ('module', class, source_file, source) that legacy files
// write for whole nn.Module classes becomes an opaque object.
//
// Tensors are REDUCE calls (torch 1.13 and 2.x):
//     torch._utils._rebuild_tensor(storage, storage_offset, size, stride)
//     torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[, metadata])
//     torch._utils._rebuild_tensor_v3(untyped_storage, storage_offset, size, stride, requires_grad, hooks,
//                                     dtype[, metadata])     (2.x, for dtypes without a typed storage class)
//     torch._utils._rebuild_parameter(tensor, requires_grad, hooks)
//     torch._utils._rebuild_parameter_with_state(tensor, requires_grad, hooks, state)
//     torch._tensor._rebuild_from_type_v2(func, type, args, state)   (tensor subclasses, tensors with attributes)
//     torch._utils._rebuild_device_tensor_from_cpu_tensor(tensor, dtype, device, requires_grad)
// with offsets and strides in elements, size and stride tuples (or torch.Size). Quantized, sparse, nested,
// meta, numpy-backed and wrapper-subclass tensors are rejected by name. The element type comes from the
// storage class (FloatStorage, …, io/dtype.h) or, for UntypedStorage, from the dtype argument (a global such
// as torch.float32); types latentlab has no DType for (complex, quantized, float8, uint16, …) are rejected.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "io/pickle.h"

namespace latentlab::io {

// Every storage key a pickle referred to: its type and how many units (elements, or bytes when untyped) the
// tensors and views need. Containers check their data against it before any tensor is read.
struct StorageUse {
  std::string type_name;
  size_t unit = 1;
  uint64_t units_needed = 0;
};
using StorageTable = std::map<std::string, StorageUse>;

// Hooks for io::unpickle that build Storage and Tensor values (validated: every element of a tensor lies
// inside its storage) and record storages in `*table`, which must outlive the hooks.
PickleHooks torch_pickle_hooks(StorageTable* table);

// "torch.float32" / "torch.float" / … -> DType; nullopt for dtypes latentlab does not handle.
std::optional<DType> dtype_from_torch_dtype(const std::string& global_name);

}  // namespace latentlab::io
