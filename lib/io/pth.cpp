// Reading torch.save files: the two containers, and copying tensors out of storages (format in io/pth.h).
#include "io/pth.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "io/mapped_file.h"
#include "io/torch_pickle.h"
#include "io/zip_archive.h"

namespace latentlab::io {
namespace {

using Kind = PickleValue::Kind;

// torch writes zip entries uncompressed, so an entry larger than this multiple of the archive is a lie
// (or a zip bomb) and is rejected before anything is allocated for it.
constexpr uint64_t kMaxInflation = 16;
// 0x1950a86a20f9469cfc6c as LONG1 stores it: little-endian two's complement, 10 bytes.
const std::string kLegacyMagic("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10);
constexpr int64_t kLegacyProtocol = 1001;

// C-order contiguous, ignoring the strides of size-1 dimensions (torch leaves those arbitrary).
bool is_contiguous(const Shape& shape, const Shape& stride) {
  int64_t expected = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] != 1 && stride[i] != expected) return false;
    expected *= shape[i];
  }
  return true;
}

}  // namespace

struct PthFile::Impl {
  std::string path;
  Format format = Format::Legacy;
  PthOptions options;
  Unpickled pickle;
  StorageTable storages;
  // Legacy: the mapped file and where each storage's bytes start.
  std::shared_ptr<const MappedFile> file;
  std::map<std::string, std::pair<uint64_t, uint64_t>> records;  // key -> (byte offset, bytes)
  // Zip: the archive (without libzip, opening it refuses the file: io/zip_archive_unavailable.cpp).
  std::unique_ptr<ZipReader> zip;
  std::string prefix;  // "archive/"
  uint64_t max_entry_bytes = 0;

  void open_legacy();
  void open_zip();
  // `count` bytes from byte `offset` of storage `s` (counted from the start of the view): a pointer into the
  // mapped file (legacy), or into `buffer` after reading them from the archive (zip).
  const uint8_t* storage_bytes(const StorageRef& s, uint64_t offset, uint64_t count,
                               std::vector<uint8_t>& buffer) const;
};

void PthFile::Impl::open_legacy() {
  format = Format::Legacy;
  const uint8_t* data = file->data();
  const size_t size = file->size();
  size_t pos = 0;
  auto next = [&](const PickleHooks& hooks) {
    const PickleSource source{path, "", pos};
    Unpickled u = unpickle(data + pos, size - pos, source, hooks, options.limits, pickle.arena);
    pos += u.consumed;
    return u;
  };
  pickle.arena = std::make_shared<PickleArena>();
  const Unpickled magic = next({});
  if (!magic.root->is(Kind::BigInt) || magic.root->text != kLegacyMagic)
    fail(path, "not a PyTorch file: its first pickle is {}, not torch's magic number", describe(*magic.root));
  const Unpickled version = next({});
  if (!version.root->is(Kind::Int) || version.root->integer != kLegacyProtocol)
    fail(path, "legacy protocol version {} (only {} exists)", describe(*version.root), kLegacyProtocol);
  const Unpickled sys_info = next({});
  const PickleValue* little = sys_info.root->find("little_endian");
  if (little && little->is(Kind::Bool) && !little->integer)
    fail(path, "written on a big-endian machine; only little-endian files are supported");
  const Unpickled object = next(torch_pickle_hooks(&storages));
  pickle.root = object.root;
  const Unpickled keys = next({});
  if (!keys.root->is(Kind::List)) fail(path, "storage key list at byte {} is a {}", pos, kind_name(keys.root->kind));
  for (const PickleValue* key : keys.root->items) {
    if (!key->is(Kind::String)) fail(path, "storage key is a {}, not a str", kind_name(key->kind));
    const auto use = storages.find(key->text);
    if (use == storages.end()) fail(path, "storage '{}' has data but no tensor refers to it", key->text);
    if (size - pos < 8) fail(path, "storage '{}' at byte {}: file ends before its size", key->text, pos);
    uint64_t numel = 0;
    for (int i = 7; i >= 0; --i) numel = (numel << 8) | data[pos + i];
    const uint64_t bytes = checked_mul(numel, use->second.unit, path);
    if (numel > uint64_t{INT64_MAX} || bytes > size - pos - 8)
      fail(path, "storage '{}' at byte {}: claims {} elements of {} bytes, only {} bytes left", key->text, pos, numel,
           use->second.unit, size - pos - 8);
    if (numel < use->second.units_needed)
      fail(path, "storage '{}' holds {} elements, the tensors need {}", key->text, numel, use->second.units_needed);
    if (!records.emplace(key->text, std::make_pair(pos + 8, bytes)).second)
      fail(path, "storage '{}' is listed twice", key->text);
    pos += 8 + bytes;
  }
  for (const auto& [key, use] : storages)
    if (!records.count(key)) fail(path, "storage '{}' is missing from the file's storage list", key);
}

void PthFile::Impl::open_zip() {
  format = Format::Zip;
  zip = std::make_unique<ZipReader>(path);
  std::error_code ec;
  const uint64_t archive_bytes = std::filesystem::file_size(path, ec);
  max_entry_bytes = ec ? 0 : checked_mul(std::max<uint64_t>(archive_bytes, 1 << 20), kMaxInflation, path);
  for (const std::string& name : zip->names()) {
    const size_t slash = name.find('/');
    if (slash != std::string::npos && name.compare(slash, std::string::npos, "/data.pkl") == 0) {
      prefix = name.substr(0, slash + 1);
      break;
    }
  }
  if (prefix.empty()) fail(path, "zip archive without a <name>/data.pkl entry: not written by torch.save");
  auto entry = [&](const std::string& name) {
    const uint64_t bytes = zip->size_of(name);
    if (bytes > max_entry_bytes)
      fail(path, "entry '{}' claims {} bytes, more than {}x the archive (torch stores entries uncompressed)", name,
           bytes, kMaxInflation);
    return bytes;
  };
  if (zip->contains(prefix + "byteorder")) {
    const auto order = zip->read(prefix + "byteorder", 16);
    const std::string text(order.begin(), order.end());
    if (text != "little") fail(path, "byte order '{}': only little-endian files are supported", text);
  }
  const std::string pkl = prefix + "data.pkl";
  const std::vector<uint8_t> bytes = zip->read(pkl, entry(pkl));
  const PickleSource source{path, fmt::format("entry '{}': ", pkl), 0};
  pickle = unpickle(bytes.data(), bytes.size(), source, torch_pickle_hooks(&storages), options.limits);
  for (const auto& [key, use] : storages) {
    const std::string name = prefix + "data/" + key;
    if (!zip->contains(name)) fail(path, "storage '{}' has no entry '{}'", key, name);
    const uint64_t needed = checked_mul(use.units_needed, use.unit, path);
    if (entry(name) < needed)
      fail(path, "entry '{}' has {} bytes, its tensors need {}", name, zip->size_of(name), needed);
  }
}

const uint8_t* PthFile::Impl::storage_bytes(const StorageRef& s, uint64_t offset, uint64_t count,
                                            std::vector<uint8_t>& buffer) const {
  const uint64_t start = s.view_offset * s.unit() + offset;  // bounds were checked when the file was opened
  if (zip) {
    buffer.resize(static_cast<size_t>(count));
    zip->read_range(prefix + "data/" + s.key, start, buffer.data(), count);
    return buffer.data();
  }
  const auto record = records.find(s.key);
  if (record == records.end()) fail(path, "storage '{}' is not in this file", s.key);
  const auto [at, bytes] = record->second;
  if (start > bytes || count > bytes - start) fail(path, "storage '{}': read past its end", s.key);
  return file->data() + at + start;
}

PthFile::PthFile(const std::string& path, const PthOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->options = options;
  impl_->file = MappedFile::open(path);
  const uint8_t* head = impl_->file->data();
  const size_t size = impl_->file->size();
  if (size >= 4 && std::memcmp(head, "PK", 2) == 0) {
    impl_->file.reset();  // libzip reads the file itself
    impl_->open_zip();
  } else if (size >= 2 && head[0] == 0x80) {
    impl_->open_legacy();
  } else if (size > 262 && std::memcmp(head + 257, "ustar", 5) == 0) {
    fail(path, "tar-based PyTorch file (torch < 0.4) is not supported; re-save it with a newer torch");
  } else {
    fail(path, "not a PyTorch file: neither a zip archive nor a pickle ({} bytes)", size);
  }
}

PthFile::~PthFile() = default;
const std::string& PthFile::path() const {
  return impl_->path;
}
PthFile::Format PthFile::format() const {
  return impl_->format;
}
const PickleValue& PthFile::root() const {
  return *impl_->pickle.root;
}

Array PthFile::read(const TensorRef& t, const std::string& name) const {
  const std::string subject = impl_->path + ": " + name;
  const size_t es = dtype_size(t.dtype);
  const uint64_t numel = checked_numel(t.shape, subject);
  const uint64_t out_bytes = checked_mul(numel, es, subject);
  if (numel == 0) return Array::copy_of(t.dtype, t.shape, nullptr, 0);
  if (!t.storage) fail(subject, "tensor without a storage");
  // The elements span [offset, last] of the storage. TensorRef builders checked this already; a TensorRef made
  // by hand gets the same check here.
  if (t.shape.size() != t.stride.size()) fail(subject, "size and stride differ in rank");
  uint64_t last = t.storage_offset;
  for (size_t i = 0; i < t.shape.size(); ++i) {
    if (t.stride[i] < 0) fail(subject, "negative stride");
    last = checked_add(last, checked_mul(static_cast<uint64_t>(t.shape[i] - 1), t.stride[i], subject), subject);
  }
  if (last >= t.storage->bytes() / es) fail(subject, "tensor reaches past its storage");
  const uint64_t span_bytes = (last - t.storage_offset + 1) * es;
  if (out_bytes > t.storage->bytes() && out_bytes > impl_->options.max_expanded_bytes)
    fail(subject, "tensor {} (stride {}) expands a {}-byte storage to {} bytes, over the {}-byte limit",
         shape_string(t.shape), shape_string(t.stride), t.storage->bytes(), out_bytes,
         impl_->options.max_expanded_bytes);
  std::vector<uint8_t> buffer;
  const uint8_t* span = impl_->storage_bytes(*t.storage, t.storage_offset * es, span_bytes, buffer);
  auto out = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(out_bytes));
  if (is_contiguous(t.shape, t.stride)) {
    std::memcpy(out->data(), span, out->size());
    return Array::from_buffer(t.dtype, t.shape, std::move(out));
  }
  // Copy in C order: the innermost dimension as one memcpy when its stride is 1, else element by element.
  const size_t rank = t.shape.size();
  const int64_t inner = rank ? t.shape[rank - 1] : 1;
  const int64_t inner_stride = rank ? t.stride[rank - 1] : 1;
  std::vector<int64_t> index(rank > 0 ? rank - 1 : 0, 0);
  uint8_t* dst = out->data();
  for (uint64_t done = 0; done < numel; done += static_cast<uint64_t>(inner)) {
    uint64_t base = 0;
    for (size_t d = 0; d + 1 < rank; ++d) base += static_cast<uint64_t>(index[d]) * t.stride[d];
    const uint8_t* src = span + base * es;
    if (inner_stride == 1) {
      std::memcpy(dst, src, static_cast<size_t>(inner) * es);
      dst += inner * es;
    } else {
      for (int64_t j = 0; j < inner; ++j, dst += es)
        std::memcpy(dst, src + static_cast<uint64_t>(j * inner_stride) * es, es);
    }
    for (size_t d = index.size(); d-- > 0;) {  // odometer over the outer dimensions
      if (++index[d] < t.shape[d]) break;
      index[d] = 0;
    }
  }
  return Array::from_buffer(t.dtype, t.shape, std::move(out));
}

NamedArrays read_pth(const std::string& path, const std::string& prefix, const PthOptions& options) {
  const PthFile file(path, options);
  NamedArrays arrays;
  for (const PthItem& item : select_tensors(file.root(), prefix, path))
    arrays.emplace_back(item.name, file.read(*item.value->tensor, item.name));
  return arrays;
}

}  // namespace latentlab::io
