// Interprets torch.save's persistent ids and tensor rebuild calls (format in io/torch_pickle.h). Errors throw
// UserError with an empty subject; the pickle machine adds the file name and byte offset.
#include "io/torch_pickle.h"

#include "core/error.h"

namespace latentlab::io {
namespace {

using Kind = PickleValue::Kind;

constexpr size_t kMaxRank = 64;  // torch's own limit on tensor dimensions

[[noreturn]] void reject(const std::string& problem) {
  throw UserError("", problem);
}

int64_t int_arg(const PickleValue& v, const char* what) {
  if (!v.is(Kind::Int) && !v.is(Kind::Bool)) reject(fmt::format("{} is a {}, not an int", what, kind_name(v.kind)));
  return v.integer;
}

uint64_t count_arg(const PickleValue& v, const char* what) {
  const int64_t n = int_arg(v, what);
  if (n < 0) reject(fmt::format("{} is negative ({})", what, n));
  return static_cast<uint64_t>(n);
}

Shape shape_arg(const PickleValue& v, const char* what) {
  const PickleValue* seq = &v;
  if (v.is(Kind::Object) && v.call && v.call->is_global("torch.Size") && v.args && v.args->items.size() == 1)
    seq = v.args->items[0];  // torch.Size((2, 3)) when the Size was reduced as an object
  if (!seq->is(Kind::Tuple) && !seq->is(Kind::List))
    reject(fmt::format("{} is a {}, not a tuple", what, kind_name(seq->kind)));
  if (seq->items.size() > kMaxRank)
    reject(fmt::format("{} has {} dimensions (limit {})", what, seq->items.size(), kMaxRank));
  Shape out;
  for (const PickleValue* item : seq->items) out.push_back(static_cast<int64_t>(count_arg(*item, what)));
  return out;
}

std::string storage_type_name(const PickleValue& type) {
  if (!type.is(Kind::Global)) reject(fmt::format("storage type is a {}, not a class", kind_name(type.kind)));
  for (const char* module : {"torch.", "torch.cuda."}) {
    const std::string prefix = module;
    if (type.text.compare(0, prefix.size(), prefix) == 0 && type.text.find('.', prefix.size()) == std::string::npos)
      return type.text.substr(prefix.size());
  }
  reject(fmt::format("storage type {} is not a torch storage class", type.text));
}

PickleValue* load_storage(PickleArena& arena, const PickleValue& pid, StorageTable& table) {
  const auto& f = pid.items;
  auto ref = std::make_shared<StorageRef>();
  ref->type_name = storage_type_name(*f[1]);
  if (ref->type_name != "UntypedStorage") {
    ref->dtype = dtype_from_torch_storage(ref->type_name);
    if (!ref->dtype)
      reject(
          fmt::format("storage type torch.{} is not supported (known: Double, Float, Half, BFloat16, Long, Int, "
                      "Short, Char, Byte, Bool and Untyped storages)",
                      ref->type_name));
  }
  if (f[2]->is(Kind::String))
    ref->key = f[2]->text;
  else if (f[2]->is(Kind::Int))
    ref->key = std::to_string(f[2]->integer);
  else
    reject(fmt::format("storage key is a {}, not a str", kind_name(f[2]->kind)));
  if (f[3]->is(Kind::String)) ref->location = f[3]->text;
  const uint64_t root_numel = count_arg(*f[4], "storage size");
  checked_mul(root_numel, ref->unit(), "storage size");
  ref->numel = root_numel;
  if (f.size() == 6 && !f[5]->is(Kind::None)) {  // legacy view: (view_key, offset, size) inside storage `key`
    const PickleValue& view = *f[5];
    if (!view.is(Kind::Tuple) || view.items.size() != 3) reject("storage view metadata is not (key, offset, size)");
    ref->view_offset = count_arg(*view.items[1], "storage view offset");
    ref->numel = count_arg(*view.items[2], "storage view size");
    if (ref->view_offset > root_numel || ref->numel > root_numel - ref->view_offset)
      reject(fmt::format("storage view [{}, +{}) is outside storage '{}' of {} elements", ref->view_offset, ref->numel,
                         ref->key, root_numel));
  }
  const auto [it, inserted] = table.emplace(ref->key, StorageUse{ref->type_name, ref->unit(), root_numel});
  if (!inserted) {
    if (it->second.type_name != ref->type_name)
      reject(fmt::format("storage '{}' is used as both {} and {}", ref->key, it->second.type_name, ref->type_name));
    it->second.units_needed = std::max(it->second.units_needed, root_numel);
  }
  PickleValue* out = arena.make(Kind::Storage);
  out->storage = std::move(ref);
  return out;
}

// `args` = (storage, storage_offset, size, stride, …); `dtype` overrides the storage's (v3).
PickleValue* make_tensor(PickleArena& arena, const std::vector<const PickleValue*>& args, const PickleValue* dtype_arg,
                         const PickleValue* requires_grad) {
  if (!args[0]->is(Kind::Storage)) reject(fmt::format("tensor storage is a {}", kind_name(args[0]->kind)));
  auto t = std::make_shared<TensorRef>();
  t->storage = args[0]->storage;
  const StorageRef& s = *t->storage;
  std::optional<DType> dtype = s.dtype;
  if (dtype_arg) {
    const std::optional<DType> given =
        dtype_arg->is(Kind::Global) ? dtype_from_torch_dtype(dtype_arg->text) : std::nullopt;
    if (!given) reject(fmt::format("tensor dtype {} is not supported", describe(*dtype_arg)));
    if (dtype && *dtype != *given) reject("tensor dtype differs from its storage type");
    dtype = given;
  }
  if (!dtype) reject("tensor on an UntypedStorage without a dtype");
  t->dtype = *dtype;
  t->storage_offset = count_arg(*args[1], "storage offset");
  t->shape = shape_arg(*args[2], "size");
  t->stride = shape_arg(*args[3], "stride");
  if (t->shape.size() != t->stride.size())
    reject(fmt::format("size {} and stride {} differ in rank", shape_string(t->shape), shape_string(t->stride)));
  if (requires_grad) t->requires_grad = int_arg(*requires_grad, "requires_grad") != 0;
  const std::string subject = "tensor";
  // Every element must lie in the storage: last = offset + sum((size_i - 1) * stride_i) < capacity.
  const uint64_t capacity = s.bytes() / dtype_size(t->dtype);
  if (checked_numel(t->shape, subject) > 0) {
    uint64_t last = t->storage_offset;
    for (size_t i = 0; i < t->shape.size(); ++i)
      last = checked_add(last, checked_mul(static_cast<uint64_t>(t->shape[i] - 1), t->stride[i], subject), subject);
    if (last >= capacity)
      reject(fmt::format("tensor of size {}, stride {}, offset {} reaches element {} of a storage holding {}",
                         shape_string(t->shape), shape_string(t->stride), t->storage_offset, last, capacity));
  }
  PickleValue* out = arena.make(Kind::Tensor);
  out->tensor = std::move(t);
  return out;
}

PickleValue* copy_tensor(PickleArena& arena, const PickleValue& data, bool parameter,
                         const PickleValue* requires_grad) {
  if (!data.is(Kind::Tensor)) reject(fmt::format("tensor data is a {}, not a tensor", kind_name(data.kind)));
  auto t = std::make_shared<TensorRef>(*data.tensor);
  t->parameter = t->parameter || parameter;
  if (requires_grad) t->requires_grad = int_arg(*requires_grad, "requires_grad") != 0;
  PickleValue* out = arena.make(Kind::Tensor);
  out->tensor = std::move(t);
  return out;
}

void expect_args(const std::string& name, size_t got, size_t low, size_t high) {
  if (got < low || got > high)
    reject(low == high ? fmt::format("{}: expected {} arguments, got {}", name, low, got)
                       : fmt::format("{}: expected {} to {} arguments, got {}", name, low, high, got));
}

PickleValue* call(PickleArena& arena, const PickleValue& callable, const PickleValue& args, int depth) {
  const std::string& name = callable.text;
  const auto& a = args.items;
  if (name == "torch._utils._rebuild_tensor") {
    expect_args(name, a.size(), 4, 4);
    return make_tensor(arena, a, nullptr, nullptr);
  }
  if (name == "torch._utils._rebuild_tensor_v2") {
    expect_args(name, a.size(), 6, 7);
    return make_tensor(arena, a, nullptr, a[4]);
  }
  if (name == "torch._utils._rebuild_tensor_v3") {
    expect_args(name, a.size(), 7, 8);
    return make_tensor(arena, a, a[6], a[4]);
  }
  if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
    const size_t n = name == "torch._utils._rebuild_parameter" ? 3 : 4;
    expect_args(name, a.size(), n, n);
    return copy_tensor(arena, *a[0], true, a[1]);
  }
  if (name == "torch._utils._rebuild_device_tensor_from_cpu_tensor") {
    expect_args(name, a.size(), 4, 4);
    return copy_tensor(arena, *a[0], false, a[3]);
  }
  if (name == "torch._tensor._rebuild_from_type_v2" || name == "torch._tensor._rebuild_from_type") {
    expect_args(name, a.size(), 4, 4);
    if (depth > 0 || !a[0]->is(Kind::Global) || !a[2]->is(Kind::Tuple)) return nullptr;
    PickleValue* inner = call(arena, *a[0], *a[2], depth + 1);
    if (inner && inner->is(Kind::Tensor) && a[1]->is_global("torch.nn.parameter.Parameter"))
      return copy_tensor(arena, *inner, true, nullptr);
    return inner;
  }
  if (name == "torch.jit._pickle.restore_type_tag") {
    // LibTorch's own pickler (torch::pickle_save, TorchScript) wraps typed containers in this call, which
    // returns its first argument unchanged. Every value lives mutable in the arena; only the hook's view
    // of the arguments is const.
    expect_args(name, a.size(), 2, 2);
    return const_cast<PickleValue*>(a[0]);
  }
  if (name == "torch.Size") {
    expect_args(name, a.size(), 1, 1);
    if (!a[0]->is(Kind::Tuple) && !a[0]->is(Kind::List)) return nullptr;
    PickleValue* out = arena.make(Kind::Tuple);
    out->items = a[0]->items;
    return out;
  }
  static const std::pair<const char*, const char*> kUnsupported[] = {
      {"torch._utils._rebuild_qtensor", "quantized"},
      {"torch._utils._rebuild_sparse_tensor", "sparse"},
      {"torch._utils._rebuild_sparse_csr_tensor", "sparse"},
      {"torch._utils._rebuild_nested_tensor", "nested"},
      {"torch._utils._rebuild_meta_tensor_no_storage", "meta (data-less)"},
      {"torch._utils._rebuild_device_tensor_from_numpy", "numpy-backed device"},
      {"torch._utils._rebuild_xla_tensor", "XLA"},
      {"torch._utils._rebuild_wrapper_subclass", "wrapper-subclass"},
  };
  for (const auto& [fn, what] : kUnsupported)
    if (name == fn) reject(fmt::format("{} tensors are not supported ({})", what, fn));
  return nullptr;
}

}  // namespace

std::optional<DType> dtype_from_torch_dtype(const std::string& global_name) {
  static const std::pair<const char*, DType> kNames[] = {
      {"torch.float64", DType::F64},   {"torch.double", DType::F64},  {"torch.float32", DType::F32},
      {"torch.float", DType::F32},     {"torch.float16", DType::F16}, {"torch.half", DType::F16},
      {"torch.bfloat16", DType::BF16}, {"torch.int64", DType::I64},   {"torch.long", DType::I64},
      {"torch.int32", DType::I32},     {"torch.int", DType::I32},     {"torch.int16", DType::I16},
      {"torch.short", DType::I16},     {"torch.int8", DType::I8},     {"torch.uint8", DType::U8},
      {"torch.bool", DType::Bool},
  };
  for (const auto& [name, dtype] : kNames)
    if (global_name == name) return dtype;
  return std::nullopt;
}

PickleHooks torch_pickle_hooks(StorageTable* table) {
  PickleHooks hooks;
  hooks.persistent_load = [table](PickleArena& arena, const PickleValue& pid) -> PickleValue* {
    if (pid.is(Kind::Tuple) && !pid.items.empty() && pid.items[0]->is_string("storage")) {
      if (pid.items.size() != 5 && pid.items.size() != 6)
        reject(fmt::format("storage persistent id has {} fields, not 5 or 6", pid.items.size()));
      return load_storage(arena, pid, *table);
    }
    if (pid.is(Kind::Tuple) && pid.items.size() == 4 && pid.items[0]->is_string("module")) {
      PickleValue* out = arena.make(Kind::Object);  // a saved nn.Module class: kept as an opaque name
      out->call = pid.items[1];
      return out;
    }
    reject(fmt::format("persistent id {} is not a torch storage", describe(pid)));
  };
  hooks.call = [](PickleArena& arena, const PickleValue& callable, const PickleValue& args,
                  const PickleValue* kwargs) -> PickleValue* {
    return kwargs ? nullptr : call(arena, callable, args, 0);
  };
  return hooks;
}

}  // namespace latentlab::io
