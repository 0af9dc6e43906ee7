// Writing an .npz archive member by member, each member's data appended in pieces, so that an array larger
// than memory (50k ADM samples at 256²: arr_0 is 50000×256×256×3 uint8 = 9.8 GB) never sits in memory.
// Members are stored (np.savez's layout, not deflated), so NpzReader::read_rows() later seeks straight to
// any rows. The zip is written by hand: each member's local header announces its size (known from the .npy
// header's shape) and gets its CRC-32 patched in once the data are complete; the central directory follows
// the last member. ZIP64 records are used where a size or offset reaches 4 GiB (Python's zipfile, numpy,
// libzip read them). Timestamps are fixed (1980-01-01 00:00), so equal arrays give byte-equal files: a
// sharded `sample` merged by `sample merge` is the same file as one process's output.
//
// The archive appears under its name only on commit() (io::AtomicFile); an exception or a missing commit
// leaves nothing behind.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "io/array.h"

namespace latentlab::io {

class AtomicFile;

class NpzStreamWriter {
 public:
  // `force_zip64`: ZIP64 records for every member (tests of the >4 GiB layout on small arrays).
  explicit NpzStreamWriter(const std::string& path, bool force_zip64 = false);
  ~NpzStreamWriter();
  NpzStreamWriter(const NpzStreamWriter&) = delete;
  NpzStreamWriter& operator=(const NpzStreamWriter&) = delete;

  // Starts member "<name>.npy" of `dtype` and C-order `shape`; exactly its bytes must follow through append().
  // The previous member must be complete. UserError naming the archive for a repeated name or a dtype numpy
  // lacks (BF16).
  void begin(const std::string& name, DType dtype, const Shape& shape);
  // The next bytes of the current member's data (whole rows or not). UserError past the announced size.
  void append(const void* data, size_t bytes);
  void append(const Array& rows) { append(rows.data, rows.nbytes); }
  // begin + append of a whole array.
  void add(const std::string& name, const Array& array);
  // Writes the central directory and renames the archive into place. UserError when a member is short.
  void commit();

  const std::string& path() const { return path_; }

 private:
  struct Member {
    std::string zip_name;
    uint64_t header_offset = 0, size = 0;
    uint32_t crc = 0;
  };
  void finish_member();
  void write(const void* data, size_t bytes);
  void write_at(uint64_t offset, const void* data, size_t bytes);
  bool needs_zip64(uint64_t size, uint64_t offset) const;

  std::string path_;
  bool force_zip64_;
  std::unique_ptr<AtomicFile> file_;
  FILE* out_ = nullptr;
  uint64_t offset_ = 0;  // bytes written so far
  std::vector<Member> members_;
  bool open_member_ = false;
  uint64_t remaining_ = 0;  // data bytes the current member still needs
};

}  // namespace latentlab::io
