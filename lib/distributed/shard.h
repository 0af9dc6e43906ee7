// `--shard i/n` for sharded jobs (cache, sample, stats make, metrics): shard i of n, 0-based. An empty
// option falls back to RANK/WORLD_SIZE, so a job launched by torchrun or tools/latentlab-slurm.sh shards
// itself; without either the job is the single shard 0/1. Shards are contiguous, in order, and partition
// [0, total) exactly, so outputs concatenated (or merged) by shard index equal the unsharded output.
// Torch-free: any command may include it.
#pragma once

#include <cstdint>
#include <string>

namespace latentlab::distributed {

struct LaunchEnv;

struct Shard {
  int index = 0;
  int count = 1;

  bool whole() const { return count == 1; }
  std::string str() const;  // "i/n"; parse_shard(str()) round-trips
};

// Parses "i/n" with 0 <= i < n; throws UserError naming `option` ("--shard") otherwise.
Shard parse_shard(const std::string& spec, const std::string& option = "--shard");
// `spec` when given, else the shard RANK/WORLD_SIZE describe.
Shard resolve_shard(const std::string& spec, const LaunchEnv& env, const std::string& option = "--shard");

// The rows [begin, end) of `total` that `shard` owns: begin = floor(total * i / n).
struct ShardRange {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};
ShardRange shard_range(int64_t total, const Shard& shard);

}  // namespace latentlab::distributed
