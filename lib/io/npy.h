// numpy .npy files: one array per file (numpy/lib/format.py, NEP 1). Layout:
//
//   "\x93NUMPY" major minor    magic and version (1.0, 2.0 or 3.0)
//   header_len                 u16 LE (1.0) or u32 LE (2.0, 3.0)
//   header                     a Python dict literal, padded with spaces and ended by '\n':
//                              {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
//   data                       numel x itemsize bytes, C order unless fortran_order
//
// The dict is parsed by a small strict parser (never a Python eval): exactly the three keys, a descr string
// of byte order + kind + size, True/False, a tuple of integers. Reading accepts float64/32/16, int64/32/16/8,
// uint8 and bool in either byte order and either memory order, and always returns C-order little-endian
// arrays. Writing produces what np.save produces byte for byte: version 1.0 (2.0 when the header passes
// 65535 bytes), the header padded so that the data start on a 64-byte boundary.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/array.h"

namespace latentlab::io {

struct NpyHeader {
  DType dtype = DType::F32;
  Shape shape;
  bool fortran_order = false;
  bool big_endian = false;
  int major_version = 1;
  uint64_t data_offset = 0;  // bytes from the start of the file to the first element (preamble + header)
  uint64_t data_bytes = 0;   // numel x itemsize, overflow-checked
};

// The smallest prefix that npy_data_offset() needs: magic, version and a 4-byte header length.
constexpr size_t kNpyPreambleBytes = 12;
// Headers longer than this are refused (numpy refuses past 10000 bytes unless told otherwise).
constexpr uint64_t kNpyMaxHeaderBytes = 1 << 20;

// Reads the magic, the version and the header length from the first `size` bytes; returns where the data
// begin. Needs min(size of the file, kNpyPreambleBytes) bytes. Errors name `subject`.
uint64_t npy_data_offset(const uint8_t* data, size_t size, const std::string& subject);
// Parses the preamble and the header dict; `size` must cover at least the header (npy_data_offset()).
NpyHeader parse_npy_header(const uint8_t* data, size_t size, const std::string& subject);

// A whole .npy image in memory (`size` must be exactly data_offset + data_bytes). When the data are already
// C-order little-endian and `owner` keeps `data` alive, the array points into `data` (no copy); otherwise it
// owns a converted copy.
Array parse_npy(const uint8_t* data, size_t size, const std::string& subject, std::shared_ptr<const void> owner = {});
Array parse_npy(const std::vector<uint8_t>& bytes, const std::string& subject);
// Memory-maps `path`; C-order little-endian arrays point into the map.
Array read_npy(const std::string& path);

// Converts the data after a header (as stored: maybe big-endian, maybe Fortran order) into C-order
// little-endian bytes in place of `out` (which holds header.data_bytes bytes).
void npy_to_c_order(const NpyHeader& header, const uint8_t* stored, uint8_t* out);
// Byte-swaps `count` elements of `itemsize` bytes in place.
void byte_swap(uint8_t* data, uint64_t count, size_t itemsize);

// The .npy image np.save would write for `array`. BF16 has no numpy dtype: UserError naming `subject`.
std::vector<uint8_t> serialize_npy(const Array& array, const std::string& subject = "array");
// The header part alone (preamble + padded dict).
std::string npy_header_bytes(const Array& array, const std::string& subject);
// Written through AtomicFile.
void write_npy(const std::string& path, const Array& array);

}  // namespace latentlab::io
