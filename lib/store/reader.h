// Reading a complete latent store: random rows (StoreReader::read), and batches in row order or in a
// seeded shuffled order with a prefetch thread (LatentLoader).
//
// A reader opens the file read-only: HDF5 reads the metadata once (under the store's HDF5 lock) and rows
// are then read with pread() at their fixed offsets, so any number of readers and threads may read one
// store at once. A store rewritten by another tool into chunked datasets is read through HDF5 instead.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <ATen/core/Tensor.h>

#include "store/schema.h"

namespace latentlab::store {

struct LatentBatch {
  at::Tensor mean;                // float32 (n, C, h, w): posterior mean (of the flipped image where flipped[i])
  at::Tensor std;                 // float32 (n, C, h, w): posterior std, likewise
  at::Tensor z;                   // float32 (n, C, h, w): mean + std * eps when sampling; undefined otherwise
  at::Tensor labels;              // int64 (n)
  at::Tensor attributes;          // int32 (n, A); undefined when the store has none
  std::vector<int64_t> rows;      // store row of each item
  std::vector<uint8_t> flipped;   // 1 where the flipped copy was read
  std::vector<std::string> keys;  // the key of each row (a decimal index when keys are int64)
  int64_t epoch = 0;
  int64_t index = 0;  // batch number within the epoch
};

class StoreReader {
 public:
  // Opens and validates the store; a missing, corrupt, truncated, incomplete or newer-schema store is a
  // UserError naming the file.
  explicit StoreReader(const std::string& path);
  ~StoreReader();
  StoreReader(const StoreReader&) = delete;
  StoreReader& operator=(const StoreReader&) = delete;

  const StoreInfo& info() const { return info_; }
  int64_t rows() const { return info_.header.rows; }
  const std::string& path() const { return info_.path; }

  // Reads `rows` (any order, repeats allowed) into float32 tensors; flipped[i] != 0 reads the flipped copy
  // (needs a store with flips; empty = none flipped). Thread-safe.
  LatentBatch read(const std::vector<int64_t>& rows, const std::vector<uint8_t>& flipped = {}) const;
  // The teacher patch tokens of `rows` as float32 (n, T, D), of the flipped image where flipped[i] != 0 (as
  // read()); a UserError naming the store when it holds none. Thread-safe.
  at::Tensor read_teacher_tokens(const std::vector<int64_t>& rows, const std::vector<uint8_t>& flipped = {}) const;
  // The raw bytes of dataset `name` for rows [begin, end), in the file's dtype (verify and merge).
  std::vector<uint8_t> read_raw(const std::string& name, int64_t begin, int64_t end) const;

 private:
  void read_rows(const std::string& name, const std::vector<int64_t>& rows, uint8_t* out) const;
  // Rows of dataset `name` (each `row_shape`, stored as `stored`) as float32, from the "_flip" copy where
  // `flipped` says so; checks the flip choices against the rows and the store.
  at::Tensor read_float32(const std::string& name, std::vector<int64_t> row_shape, LatentDType stored,
                          const std::vector<int64_t>& rows, const std::vector<uint8_t>& flipped) const;
  // Rows of `name`, or of `name`_flip where flipped[i] != 0 (empty: none), into `out` (rows.size() rows).
  void read_rows_flipped(const std::string& name, const std::vector<int64_t>& rows, const std::vector<uint8_t>& flipped,
                         uint8_t* out) const;
  StoreInfo info_;
  int fd_ = -1;
};

struct LoaderOptions {
  int64_t batch_size = 256;
  bool shuffle = false;  // false: row order (probes); true: a seeded permutation per epoch (training)
  uint64_t seed = 0;
  int64_t epochs = 1;           // batches of this many epochs, then next() returns nullopt; 0 = endless
  bool drop_last = false;       // leave out a last batch smaller than batch_size
  bool sample = false;          // fill z = mean + std * eps with a seeded generator
  bool random_flip = false;     // read the flipped copy with probability 1/2 (needs a store with flips)
  int prefetch = 2;             // batches prepared ahead on a background thread; 0 = read in next()
  int64_t begin = 0, end = -1;  // only rows [begin, end) (end -1: all)
};

// Batch b of epoch e depends only on (seed, e, b): its rows, flips and noise are the same whatever the
// prefetch depth or timing. Every row of [begin, end) appears exactly once per epoch (without drop_last).
class LatentLoader {
 public:
  LatentLoader(const StoreReader& reader, LoaderOptions options);
  ~LatentLoader();
  LatentLoader(const LatentLoader&) = delete;
  LatentLoader& operator=(const LatentLoader&) = delete;

  std::optional<LatentBatch> next();
  int64_t batches_per_epoch() const;

  // The rows of epoch `epoch` in delivery order (exposed for tests).
  std::vector<int64_t> epoch_order(int64_t epoch) const;

 private:
  std::optional<LatentBatch> build(int64_t sequence) const;
  void work();

  const StoreReader& reader_;
  LoaderOptions options_;
  int64_t count_ = 0;
  int64_t next_sequence_ = 0;
  mutable std::mutex order_mutex_;
  mutable std::pair<int64_t, std::vector<int64_t>> order_cache_{-1, {}};

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::optional<LatentBatch>> ready_;
  std::exception_ptr error_;
  bool stopping_ = false, finished_ = false;
  std::thread worker_;
};

}  // namespace latentlab::store
