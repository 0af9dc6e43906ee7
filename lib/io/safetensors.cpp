// safetensors reading and writing; the format and the validation rules are described in safetensors.h.
#include "io/safetensors.h"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/mapped_file.h"

namespace latentlab::io {
namespace {

using Json = nlohmann::json;
constexpr const char* kMetadataKey = "__metadata__";
constexpr const char* kKnownDTypes = "F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL";

// A JSON value as it can be quoted in an error, cut short. Nested containers are only named: dump() recurses,
// and a hostile header could nest deep enough to exhaust the stack.
std::string snippet(const Json& value) {
  if (value.is_structured())
    for (const auto& item : value)
      if (item.is_structured()) return value.is_array() ? "a nested list" : "an object holding containers";
  std::string text = value.dump(-1, ' ', true, Json::error_handler_t::replace);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

// nlohmann prefixes its messages with "[json.exception.parse_error.101] ": keep only the explanation.
std::string json_message(const std::exception& e) {
  const std::string what = e.what();
  const auto close = what.find("] ");
  return what[0] == '[' && close != std::string::npos ? what.substr(close + 2) : what;
}

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin = 0, end = 0;
};

// One header entry, checked on its own: dtype, shape and that the offsets hold exactly its bytes.
Entry parse_entry(const std::string& name, const Json& value, const std::string& subject) {
  Entry e;
  e.name = name;
  if (!value.is_object()) fail(subject, "tensor '{}': entry is not an object but {}", name, snippet(value));
  const auto dtype = value.find("dtype");
  if (dtype == value.end() || !dtype->is_string()) fail(subject, "tensor '{}': missing the string 'dtype'", name);
  const auto known = dtype_from_safetensors(dtype->get<std::string>());
  if (!known) fail(subject, "tensor '{}': unsupported dtype {} (known: {})", name, snippet(*dtype), kKnownDTypes);
  e.dtype = *known;

  const auto shape = value.find("shape");
  if (shape == value.end() || !shape->is_array()) fail(subject, "tensor '{}': missing the list 'shape'", name);
  for (const auto& d : *shape) {
    if (!d.is_number_unsigned() || d.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
      fail(subject, "tensor '{}': shape {} is not a list of non-negative integers", name, snippet(*shape));
    e.shape.push_back(d.get<int64_t>());
  }

  const auto offsets = value.find("data_offsets");
  if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
      !(*offsets)[1].is_number_unsigned())
    fail(subject, "tensor '{}': data_offsets must be [begin, end] with non-negative integers, not {}", name,
         offsets == value.end() ? std::string("missing") : snippet(*offsets));
  e.begin = (*offsets)[0].get<uint64_t>();
  e.end = (*offsets)[1].get<uint64_t>();
  if (e.end < e.begin) fail(subject, "tensor '{}': data_offsets [{}, {}] end before they begin", name, e.begin, e.end);

  uint64_t needed = 0;
  try {
    needed = checked_mul(checked_numel(e.shape, subject), dtype_size(e.dtype), subject);
  } catch (const UserError& overflow) {
    fail(subject, "tensor '{}': {} {}: {}", name, dtype_name(e.dtype), shape_string(e.shape), overflow.problem());
  }
  if (e.end - e.begin != needed)
    fail(subject, "tensor '{}': data_offsets [{}, {}] hold {} bytes but {} {} needs {}", name, e.begin, e.end,
         e.end - e.begin, dtype_name(e.dtype), shape_string(e.shape), needed);
  return e;
}

std::map<std::string, std::string> parse_metadata(const Json& value, const std::string& subject) {
  std::map<std::string, std::string> metadata;
  if (value.is_null()) return metadata;  // serde reads null as "no metadata"
  if (!value.is_object()) fail(subject, "__metadata__ must be an object of strings, not {}", snippet(value));
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string())
      fail(subject, "__metadata__ must map strings to strings, but '{}' holds {}", key, snippet(item));
    metadata[key] = item.get<std::string>();
  }
  return metadata;
}

}  // namespace

SafetensorsFile parse_safetensors(const uint8_t* data, size_t size, const std::string& subject,
                                  std::shared_ptr<const void> owner) {
  if (size < 8) fail(subject, "file is {} bytes, too short for the 8-byte safetensors header length", size);
  uint64_t header_bytes = 0;
  for (int i = 0; i < 8; ++i) header_bytes |= static_cast<uint64_t>(data[i]) << (8 * i);
  if (header_bytes > kSafetensorsMaxHeaderBytes)
    fail(subject, "header length {} exceeds the {}-byte limit (not a safetensors file?)", header_bytes,
         kSafetensorsMaxHeaderBytes);
  if (header_bytes > size - 8)
    fail(subject, "header length {} runs past the end of the file ({} bytes follow the length field)", header_bytes,
         size - 8);
  const char* header = reinterpret_cast<const char*>(data + 8);
  if (header_bytes == 0 || header[0] != '{') fail(subject, "header does not start with '{{' (not a safetensors file?)");

  // The top-level keys in header order, to find duplicates (the parser keeps only the last of them) and to
  // order entries that start at the same offset (empty tensors).
  std::vector<std::string> keys;
  std::unordered_set<std::string> seen;
  std::string duplicate;
  Json root;
  try {
    root = Json::parse(header, header + header_bytes, [&](int depth, Json::parse_event_t event, Json& parsed) {
      if (depth == 1 && event == Json::parse_event_t::key) {
        auto key = parsed.get<std::string>();
        if (!seen.insert(key).second && duplicate.empty()) duplicate = key;
        keys.push_back(std::move(key));
      }
      return true;
    });
  } catch (const Json::exception& e) {
    fail(subject, "header is not valid JSON: {}", json_message(e));
  }
  if (!root.is_object()) fail(subject, "header is not a JSON object");
  if (!duplicate.empty()) fail(subject, "tensor '{}' appears twice in the header", duplicate);

  SafetensorsFile file;
  std::vector<Entry> entries;
  entries.reserve(keys.size());
  for (const auto& key : keys) {
    const Json& value = root.at(key);
    if (key == kMetadataKey)
      file.metadata = parse_metadata(value, subject);
    else
      entries.push_back(parse_entry(key, value, subject));
  }

  // The entries, in data order, must tile the data region: no overlap, no hole, nothing left over.
  const uint64_t data_bytes = size - 8 - header_bytes;
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
  uint64_t expected = 0;
  const Entry* previous = nullptr;
  for (const auto& e : entries) {
    if (e.begin > expected)
      fail(subject, "tensor '{}': data_offsets [{}, {}] leave a hole: {}", e.name, e.begin, e.end,
           previous ? fmt::format("the previous tensor '{}' ends at {}", previous->name, expected)
                    : std::string("the data region starts at 0"));
    if (e.begin < expected)
      fail(subject, "tensor '{}': data_offsets [{}, {}] overlap tensor '{}', which ends at {}", e.name, e.begin, e.end,
           previous->name, expected);
    if (e.end > data_bytes)
      fail(subject, "tensor '{}': data_offsets [{}, {}] run past the end of the data region ({} bytes)", e.name,
           e.begin, e.end, data_bytes);
    expected = e.end;
    previous = &e;
  }
  if (expected != data_bytes)
    fail(subject, "the tensors end at byte {} of the data region but it holds {} bytes", expected, data_bytes);

  const uint8_t* base = data + 8 + header_bytes;
  file.arrays.reserve(entries.size());
  for (auto& e : entries) {
    Array a;
    a.dtype = e.dtype;
    a.shape = std::move(e.shape);
    a.data = base + e.begin;
    a.nbytes = e.end - e.begin;
    a.owner = owner;
    file.arrays.emplace_back(std::move(e.name), std::move(a));
  }
  return file;
}

SafetensorsFile read_safetensors(const std::string& path) {
  auto map = MappedFile::open(path);
  return parse_safetensors(map->data(), map->size(), path, map);
}

std::string safetensors_header_bytes(const NamedArrays& arrays, const std::map<std::string, std::string>& metadata,
                                     const std::string& subject) {
  // Written by hand rather than through a JSON object so that the entries keep the caller's order.
  std::string header = "{";
  std::unordered_set<std::string> names;
  try {
    if (!metadata.empty()) header += fmt::format("\"{}\":{}", kMetadataKey, Json(metadata).dump());
    uint64_t offset = 0;
    for (const auto& [name, a] : arrays) {
      if (name == kMetadataKey) fail(subject, "'{}' cannot be a tensor name", kMetadataKey);
      if (!names.insert(name).second) fail(subject, "tensor '{}' appears twice", name);
      LATENTLAB_ASSERT(a.nbytes == checked_numel(a.shape, name) * dtype_size(a.dtype),
                       "tensor '{}': {} bytes for {} {}", name, a.nbytes, dtype_name(a.dtype), shape_string(a.shape));
      if (header.size() > 1) header += ',';
      header += fmt::format("{}:{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{},{}]}}", Json(name).dump(),
                            dtype_name(a.dtype), fmt::join(a.shape, ","), offset, offset + a.nbytes);
      offset += a.nbytes;
    }
  } catch (const Json::type_error& e) {
    fail(subject, "a tensor name or metadata string is not valid UTF-8 ({})", json_message(e));
  }
  header += '}';
  // Spaces up to a multiple of 8, as the reference writer pads, so that data start 8-byte aligned.
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((static_cast<uint64_t>(header.size()) >> (8 * i)) & 0xff);
  return out + header;
}

void write_safetensors(const std::string& path, const NamedArrays& arrays,
                       const std::map<std::string, std::string>& metadata) {
  const std::string header = safetensors_header_bytes(arrays, metadata, path);
  AtomicFile file(path);
  file.write(header);
  for (const auto& [name, a] : arrays) file.write(a.data, a.nbytes);
  file.commit();
}

}  // namespace latentlab::io
