// SHA-256 (FIPS 180-4), for the provenance of every input and weights file. Streaming, so files of any
// size hash in constant memory.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace latentlab::io {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  std::array<uint8_t, 32> digest();  // finishes; the object must not be updated afterwards
  std::string hex_digest();

 private:
  void compress(const uint8_t* block);
  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

std::string sha256_hex(const void* data, size_t size);
std::string sha256_hex(const std::string& text);
// Throws UserError naming `path` if it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace latentlab::io
