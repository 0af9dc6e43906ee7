// Zip containers through libzip: .npz files (numpy) and zip-format .pth files (torch.save since 1.6).
// Reading validates that every entry's size fits the archive before allocating; errors name the archive
// and the entry. Writing goes through AtomicFile, so a failed write leaves nothing behind.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace latentlab::io {

class ZipReader {
 public:
  // Throws UserError naming `path` if it is not a readable zip archive.
  explicit ZipReader(const std::string& path);
  ~ZipReader();
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;

  const std::string& path() const { return path_; }
  const std::vector<std::string>& names() const { return names_; }  // archive order
  bool contains(const std::string& name) const;
  uint64_t size_of(const std::string& name) const;  // uncompressed size
  // Whole entry. Throws UserError if missing, corrupt (CRC) or larger than `max_bytes`.
  std::vector<uint8_t> read(const std::string& name, uint64_t max_bytes = UINT64_MAX) const;
  // `count` bytes from `offset` in the uncompressed entry (seeks when the entry is stored).
  void read_range(const std::string& name, uint64_t offset, void* out, uint64_t count) const;

 private:
  int64_t index_of(const std::string& name) const;
  std::string path_;
  struct Handle;
  std::unique_ptr<Handle> handle_;
  std::vector<std::string> names_;
};

class ZipWriter {
 public:
  // Entries are written on commit(); `compress` deflates them (np.savez_compressed), else stores them.
  ZipWriter(std::string path, bool compress);
  ~ZipWriter();
  void add(const std::string& name, std::vector<uint8_t> bytes);
  void commit();

 private:
  std::string path_;
  bool compress_;
  std::vector<std::pair<std::string, std::shared_ptr<std::vector<uint8_t>>>> entries_;
};

}  // namespace latentlab::io
