#include "store/merge.h"

#include <algorithm>
#include <memory>

#include <ATen/ATen.h>

#include "core/error.h"
#include "store/reader.h"
#include "store/writer.h"

namespace latentlab::store {

MergeResult merge_shards(const std::vector<std::string>& shards, const std::string& out, const MergeOptions& options) {
  if (shards.empty()) fail_usage("SHARD", "no shards given");
  std::vector<std::unique_ptr<StoreReader>> readers;
  for (const auto& path : shards) readers.push_back(std::make_unique<StoreReader>(path));
  std::sort(readers.begin(), readers.end(), [](const auto& a, const auto& b) {
    return a->info().header.identity.shard_index < b->info().header.identity.shard_index;
  });
  const int64_t n = static_cast<int64_t>(readers.size());
  StoreIdentity identity = readers[0]->info().header.identity;
  for (int64_t i = 0; i < n; ++i) {
    const StoreIdentity& id = readers[i]->info().header.identity;
    if (id.shard_count != n)
      fail(readers[i]->path(), "is shard {}/{}, but {} shards were given", id.shard_index, id.shard_count, n);
    if (id.shard_index != i)
      fail(readers[i]->path(), "shard {}/{} given twice or shard {}/{} missing", id.shard_index, n, i, n);
    StoreIdentity same = id;
    same.shard_index = identity.shard_index;
    const std::string difference = identity_difference(identity, same);
    if (!difference.empty())
      fail(readers[i]->path(), "was made with a different {} than {}", difference, readers[0]->path());
  }
  int64_t total = 0;
  for (const auto& r : readers) total += r->rows();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t expected = (total - i + n - 1) / n;
    if (readers[i]->rows() != expected)
      fail(readers[i]->path(), "holds {} rows; shard {}/{} of {} rows would hold {}", readers[i]->rows(), i, n, total,
           expected);
  }
  identity.shard_index = 0;
  identity.shard_count = 1;

  WriterOptions wo;
  wo.force = options.force;
  wo.sync = options.sync;
  StoreWriter writer = StoreWriter::open_or_resume(out, identity, total, wo);
  MergeResult result{total, n, writer.complete()};
  if (writer.complete()) return result;

  const auto gather = [](const std::vector<at::Tensor>& parts, const std::vector<int64_t>& index) {
    return at::cat(parts, 0).index_select(
        0, at::from_blob(const_cast<int64_t*>(index.data()), {static_cast<int64_t>(index.size())}, at::kLong));
  };
  for (int64_t begin = writer.next_row(); begin < total; begin += options.batch_size) {
    const int64_t end = std::min(total, begin + options.batch_size);
    // Rows of each shard in this batch; `position` maps the concatenation back to merged order.
    std::vector<std::vector<int64_t>> local(static_cast<size_t>(n));
    for (int64_t r = begin; r < end; ++r) local[r % n].push_back(r / n);
    std::vector<int64_t> offset(static_cast<size_t>(n) + 1, 0);
    for (int64_t i = 0; i < n; ++i) offset[i + 1] = offset[i] + static_cast<int64_t>(local[i].size());
    std::vector<int64_t> position;
    std::vector<int64_t> seen(static_cast<size_t>(n), 0);
    for (int64_t r = begin; r < end; ++r) position.push_back(offset[r % n] + seen[r % n]++);

    std::vector<at::Tensor> mean, std, mean_flip, std_flip, labels, attributes, tokens, tokens_flip;
    std::vector<std::string> keys_concat;
    for (int64_t i = 0; i < n; ++i) {
      if (local[i].empty()) continue;
      LatentBatch b = readers[i]->read(local[i]);
      mean.push_back(b.mean), std.push_back(b.std), labels.push_back(b.labels);
      if (b.attributes.defined()) attributes.push_back(b.attributes);
      keys_concat.insert(keys_concat.end(), b.keys.begin(), b.keys.end());
      if (identity.flip) {
        LatentBatch f = readers[i]->read(local[i], std::vector<uint8_t>(local[i].size(), 1));
        mean_flip.push_back(f.mean), std_flip.push_back(f.std);
      }
      if (identity.has_teacher_tokens()) {  // float32 copies of float16/32 values: written back exactly
        tokens.push_back(readers[i]->read_teacher_tokens(local[i]));
        if (identity.flip)
          tokens_flip.push_back(readers[i]->read_teacher_tokens(local[i], std::vector<uint8_t>(local[i].size(), 1)));
      }
    }
    StoreBatch batch;
    batch.mean = gather(mean, position);
    batch.std = gather(std, position);
    if (identity.flip) batch.mean_flip = gather(mean_flip, position), batch.std_flip = gather(std_flip, position);
    batch.labels = gather(labels, position);
    if (!attributes.empty()) batch.attributes = gather(attributes, position);
    if (!tokens.empty()) batch.teacher_tokens = gather(tokens, position);
    if (!tokens_flip.empty()) batch.teacher_tokens_flip = gather(tokens_flip, position);
    for (const int64_t p : position) {
      if (identity.key_width == 0)
        batch.indices.push_back(std::stoll(keys_concat[static_cast<size_t>(p)]));
      else
        batch.keys.push_back(keys_concat[static_cast<size_t>(p)]);
    }
    writer.append(batch);
  }
  ChannelStatistics merged(identity.latent_shape[0]);
  for (const auto& r : readers) merged.merge(r->info().statistics);
  writer.set_statistics(merged);
  writer.finish();
  return result;
}

}  // namespace latentlab::store
