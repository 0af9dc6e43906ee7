// Writes a latent store, resumably and crash-safely. The cache command is a thin loop over it:
//
//   auto writer = StoreWriter::open_or_resume(out, identity, rows, options);
//   if (writer.complete()) return;                       // a matching complete store: nothing to do
//   for (int64_t row = writer.next_row(); row < rows; row += B) writer.append(encode(rows row..row+B));
//   writer.finish();
//
// Files: the finished store is `PATH`; while rows are written it is `PATH.partial` (an HDF5 file with every
// dataset allocated in full) plus `PATH.partial.json`, the commit record (identity, header, rows committed,
// exact statistics, file layout), replaced atomically (io::AtomicFile) after each batch.
//
// Crash safety (docs/latent-store.md): HDF5 itself only ever writes whole files under temporary names
// (write_skeleton). append() writes rows with pwrite() at their fixed offsets, fdatasync()s them, then
// commits the record; rows beyond the committed count are rewritten on resume. finish() regenerates the
// metadata with the final attributes in a fresh skeleton and copies its bytes over the partial file's
// metadata (same layout, byte for byte), then renames PATH.partial to PATH. Resuming always first restores
// the partial file's metadata from a regenerated skeleton, so a kill -9 at any moment, even in the middle
// of finish(), resumes to a file equal bit for bit to an uninterrupted run's (same creation time given).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "store/channel_stats.h"
#include "store/schema.h"

namespace latentlab::store {

// One batch of n consecutive rows.
struct StoreBatch {
  at::Tensor mean, std;            // (n, C, h, w) floating, any device; rounded to the store dtype
  at::Tensor mean_flip, std_flip;  // the same for the flipped images; required iff identity.flip
  at::Tensor labels;               // (n) integer
  at::Tensor attributes;           // (n, A) integer; required iff the identity names attributes
  std::vector<int64_t> indices;    // n dataset indices: the keys when identity.key_width == 0
  std::vector<std::string> keys;   // n keys of at most key_width bytes when key_width > 0
  // (n, T, D) floating, any device, rounded to identity.teacher_dtype: the teacher's patch tokens of each image
  // (and of its flipped copy); required iff identity.has_teacher_tokens() (the flipped ones iff also flip).
  at::Tensor teacher_tokens, teacher_tokens_flip;
};

struct WriterOptions {
  bool force = false;         // replace a store or partial store of another identity instead of refusing
  bool sync = true;           // fdatasync rows before each commit (also survives power loss, not only kill -9)
  std::string creation_time;  // empty: now (UTC); tests pin it to compare whole files
  // Test hook: called at named points ("rows-written", "rows-synced", "committed", "finish-start",
  // "finish-metadata-half", "finish-renamed") so a test can kill the process exactly there.
  std::function<void(const char* point)> crash_point;
};

class StoreWriter {
 public:
  enum class Status { Created, Resumed, Complete };

  // Opens `path` for writing `rows` rows with `identity`:
  //  - PATH is a complete store with this identity and row count: Status::Complete (nothing to write);
  //  - PATH.partial is a matching partial store: Status::Resumed at its committed row;
  //  - otherwise a new partial store: Status::Created.
  // A store or partial store with another identity is a UserError naming the file and the first differing
  // field, unless options.force (then it is replaced; a complete one only when finish() renames over it).
  static StoreWriter open_or_resume(const std::string& path, const StoreIdentity& identity, int64_t rows,
                                    WriterOptions options = {});
  ~StoreWriter();
  StoreWriter(StoreWriter&&) noexcept;
  StoreWriter& operator=(StoreWriter&&) noexcept;

  Status status() const;
  bool complete() const;
  int64_t next_row() const;  // rows committed; the next append() writes from here
  int64_t rows() const;
  const std::string& path() const;
  const ChannelStatistics& statistics() const;

  // Writes rows [next_row(), next_row() + n), updates the statistics with the stored values and commits.
  void append(const StoreBatch& batch);
  // Replaces the statistics with exactly merged ones (store merge), committed before returning.
  void set_statistics(const ChannelStatistics& statistics);
  // Needs every row written. Writes the final attributes and renames PATH.partial to PATH.
  void finish();

 private:
  struct Impl;
  explicit StoreWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

std::string partial_path(const std::string& path);  // PATH.partial
std::string record_path(const std::string& path);   // PATH.partial.json

}  // namespace latentlab::store
