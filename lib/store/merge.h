// `store merge`: joins the shards of one cache run (written with --shard i/n) into a single store.
//
// Shard i of n holds dataset positions i, i + n, i + 2n, ... (the image pipeline's sharding), so the merged
// row r is row r / n of shard r % n: the merged store has the rows in the order a single process writes
// them, and its datasets (teacher tokens included) equal that store's byte for byte. Its statistics are the shards'
// statistics merged in shard order with Chan's formula (equal to the single-process ones up to float64 rounding). The
// output is written through StoreWriter, so an interrupted merge resumes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace latentlab::store {

struct MergeOptions {
  bool force = false;         // replace an output store of another identity
  int64_t batch_size = 1024;  // rows per committed batch
  bool sync = true;
};

struct MergeResult {
  int64_t rows = 0;
  int64_t shards = 0;
  bool already_complete = false;  // the output already held this merge
};

// Throws UserError naming the offending shard: incomplete, another identity, duplicate or missing index,
// row counts that do not fit one sharded dataset.
MergeResult merge_shards(const std::vector<std::string>& shards, const std::string& out,
                         const MergeOptions& options = {});

}  // namespace latentlab::store
