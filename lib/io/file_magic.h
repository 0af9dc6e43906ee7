// Whether a file begins with given bytes (HDF5's signature, a zip's "PK"): how feature-file readers pick a
// format before opening it with the matching library.
#pragma once

#include <cstring>
#include <fstream>
#include <string>

namespace latentlab::io {

inline bool file_starts_with(const std::string& path, const char* magic, size_t size) {
  std::ifstream in(path, std::ios::binary);
  std::string head(size, '\0');
  return in.read(head.data(), static_cast<std::streamsize>(size)) && std::memcmp(head.data(), magic, size) == 0;
}

}  // namespace latentlab::io
