// Atomic file output: everything is written to a temporary file next to the target, which is fsynced
// and renamed over the target on commit(). A crash or an exception leaves the target untouched (either
// the old file or none) and the destructor removes the temporary file.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace latentlab::io {

class AtomicFile {
 public:
  // Creates `<dir>/.<name>.tmp-<pid>-<n>`; throws UserError naming `path` if that is impossible.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, size_t size);
  void write(const std::string& text) { write(text.data(), text.size()); }
  // For libraries that write by file name (libzip, HDF5): close our handle and let them write here.
  const std::string& temp_path() const { return temp_path_; }
  void close_handle();
  // fsync + rename over the target. After this the file is in place.
  void commit();

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string temp_path_;
  FILE* file_ = nullptr;
  bool committed_ = false;
};

// Convenience: writes `bytes` to `path` atomically.
void write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace latentlab::io
