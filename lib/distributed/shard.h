// `--shard i/n` for sharded jobs (cache, sample, stats make, metrics): shard i of n, 0-based. An empty
// option falls back to RANK/WORLD_SIZE, so a job launched by torchrun or tools/latentlab-slurm.sh shards
// itself; without either the job is the single shard 0/1. Shards are contiguous, in order, and partition
// [0, total) exactly, so outputs concatenated (or merged) by shard index equal the unsharded output.
// Under a launcher every rank runs the same command line, so each output path names its shard with the
// placeholders "{rank}" (the shard index i) and "{world}" (the shard count n): shard_output() below.
// Torch-free: any command may include it.
#pragma once

#include <cstdint>
#include <string>

namespace latentlab::distributed {

struct LaunchEnv;

struct Shard {
  int index = 0;
  int count = 1;
  bool from_launch = false;  // taken from RANK/WORLD_SIZE (the option was empty), not from --shard

  bool whole() const { return count == 1; }
  std::string str() const;  // "i/n"; parse_shard(str()) round-trips
};

// Parses "i/n" with 0 <= i < n; throws UserError naming `option` ("--shard") otherwise.
Shard parse_shard(const std::string& spec, const std::string& option = "--shard");
// `spec` when given, else the shard RANK/WORLD_SIZE describe.
Shard resolve_shard(const std::string& spec, const LaunchEnv& env, const std::string& option = "--shard");

// The help sentence every sharded command appends to its output options.
extern const char* const kShardOutputHelp;

// `path` with every "{rank}" replaced by shard.index and every "{world}" by shard.count. Under a launcher (the
// shard taken from RANK/WORLD_SIZE, n > 1) every rank gets the same command line, so a path without "{rank}"
// would be one file that all ranks write: refused with a UserError naming `option`. With an explicit
// --shard the user chose the path, and it is kept. An empty path (an optional output left out) stays empty.
std::string shard_output(const std::string& path, const Shard& shard, const std::string& option);

// The rows [begin, end) of `total` that `shard` owns: begin = floor(total * i / n).
struct ShardRange {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};
ShardRange shard_range(int64_t total, const Shard& shard);

}  // namespace latentlab::distributed
