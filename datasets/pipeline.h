// The image pipeline: reads an ImageSource in batches on several threads with a bounded prefetch queue,
// applies a per-image transform (decode happens in the source's get()), and hands out uint8 N x 3 x H x W
// tensors in a deterministic order that does not depend on the thread count.
//
// Order: positions 0..N-1 of the dataset, or a seeded permutation of them (`shuffle`); a shard i/n takes
// every n-th position starting at i, so n processes with the same seed split one dataset without overlap.
// Batch b holds the shard's positions [b*B, (b+1)*B). Workers build whole batches; a reorder buffer
// releases them in batch order, and no worker runs more than `prefetch` batches ahead of the consumer.
//
// Bad items: an item whose get() or transform throws a UserError stops the run with that error (the first
// one in batch order), or, with `skip_bad`, is left out of its batch and recorded in skipped().
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <ATen/core/Tensor.h>

#include "datasets/image_source.h"

namespace latentlab::datasets {

struct PipelineOptions {
  int batch_size = 64;
  int threads = 0;   // worker threads; 0 = all cores
  int prefetch = 4;  // batches built ahead of the consumer
  bool shuffle = false;
  uint64_t seed = 0;
  int shard_index = 0;
  int shard_count = 1;
  bool drop_last = false;  // drop a final batch smaller than batch_size
  bool skip_bad = false;   // skip (and count) items that fail instead of stopping
  int64_t start = 0;       // skip this shard's first `start` positions (a resumed job continues there)
};

struct Batch {
  at::Tensor images;             // uint8 (n, 3, H, W)
  at::Tensor labels;             // int64 (n)
  at::Tensor attributes;         // int32 (n, A); undefined when the source has no attributes
  std::vector<int64_t> indices;  // dataset index of each row
  std::vector<std::string> keys;
};

struct SkippedItem {
  int64_t index = 0;
  std::string key;
  std::string error;
};

class Pipeline {
 public:
  using Transform = std::function<Image(const Image&)>;

  // `source` must outlive the pipeline. Throws UserError for invalid options.
  Pipeline(const ImageSource& source, PipelineOptions options, Transform transform = {});
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // The next batch, or nullopt at the end. Rethrows the error of a bad item unless skip_bad.
  std::optional<Batch> next();

  int64_t examples() const { return static_cast<int64_t>(order_.size()); }  // this shard's count
  int64_t batches() const;
  // Items left out so far (skip_bad), in batch order of the batches already returned.
  const std::vector<SkippedItem>& skipped() const { return skipped_; }

  // This shard's dataset indices in delivery order, from `start` on (exposed for tests and resumable jobs).
  const std::vector<int64_t>& order() const { return order_; }

 private:
  struct Built {
    std::optional<Batch> batch;
    std::vector<SkippedItem> skipped;
    std::exception_ptr error;
  };
  void work();
  Built build(int64_t batch_number) const;

  const ImageSource& source_;
  PipelineOptions options_;
  Transform transform_;
  std::vector<int64_t> order_;
  std::vector<SkippedItem> skipped_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<int64_t, Built> ready_;
  int64_t next_to_build_ = 0;
  int64_t next_to_deliver_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

// "i/n" -> {i, n}; errors name `option`.
std::pair<int, int> parse_shard(const std::string& text, const std::string& option);

}  // namespace latentlab::datasets
