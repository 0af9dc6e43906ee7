// safetensors files (huggingface/safetensors, docs/safetensors format). Layout:
//
//   N         u64 little-endian: the length of the header in bytes
//   header    N bytes of UTF-8 JSON, an object:
//               {"__metadata__": {"format": "pt"},                      optional, string -> string
//                "w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}, ...}
//             writers pad it with spaces so that 8 + N is a multiple of 8
//   data      the rest of the file; each tensor's C-order little-endian bytes lie at [begin, end) of it
//
// Reading follows the reference Rust implementation's validation: N <= 100 MB and fits the file, the header
// starts with '{' and parses, every entry has a known dtype, a shape of non-negative integers and
// data_offsets [begin, end] with begin <= end and end - begin == numel x itemsize (overflow-checked); the
// entries sorted by begin tile the data region exactly, without overlap or hole, up to its last byte.
// A name appearing twice is refused (the Rust reader keeps the last one silently).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "io/array.h"

namespace latentlab::io {

// Headers longer than this are refused, as the reference implementation does.
constexpr uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;

struct SafetensorsFile {
  NamedArrays arrays;                           // in the order of their data in the file
  std::map<std::string, std::string> metadata;  // "__metadata__"; empty when absent
};

// Memory-maps `path`; every array points into the map (no copy) and keeps it alive through `owner`. The
// format has no padding between tensors, so an array is only as aligned as the writer left it (the header
// padding aligns the first one to 8 bytes; the reference writer puts wider dtypes first to keep the rest
// aligned). Throws UserError naming `path`.
SafetensorsFile read_safetensors(const std::string& path);
// The same for an image already in memory; arrays point into `data` and hold `owner`.
SafetensorsFile parse_safetensors(const uint8_t* data, size_t size, const std::string& subject,
                                  std::shared_ptr<const void> owner);

// Writes the arrays in the given order (header entries and data alike) through AtomicFile. Names must be
// unique and not "__metadata__"; names and metadata must be valid UTF-8.
void write_safetensors(const std::string& path, const NamedArrays& arrays,
                       const std::map<std::string, std::string>& metadata = {});
// The 8-byte length and the padded JSON header write_safetensors() puts before the data.
std::string safetensors_header_bytes(const NamedArrays& arrays, const std::map<std::string, std::string>& metadata,
                                     const std::string& subject);

}  // namespace latentlab::io
