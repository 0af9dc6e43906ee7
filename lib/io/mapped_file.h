// A read-only memory map of a whole file. Arrays read from safetensors point into it and keep it alive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace latentlab::io {

class MappedFile {
 public:
  // Throws UserError naming `path` if it cannot be opened or mapped. An empty file maps to size 0.
  static std::shared_ptr<const MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Reads a whole file into memory (for formats that are parsed, not mapped). Throws UserError naming it.
std::vector<uint8_t> read_file(const std::string& path);

}  // namespace latentlab::io
