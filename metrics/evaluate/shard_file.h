// What the shard files of `latentlab metrics --shard i/n` (feature_shard.h) and `latentlab recon --shard i/n`
// (metrics/reconstruction/recon_shard.h) share. A sharded run writes, per shard, a results JSON (--out X.json)
// whose results name its shard file (X.npz, next to it, written atomically before the JSON); the merge
// command reads the JSONs, finds the .npz files, and checks:
//   - the shard labels are exactly 0/n, 1/n, ..., n-1/n, one file each (a metric of a partial set is wrong);
//   - the rows' dataset positions (each file's `positions`, int64) cover 0..N-1 exactly once;
// then puts the rows back in position order, which is the order of one unsharded pass.
// Arrays written here: JSON text as a 1-D uint8 array; float64 running moments as <prefix>count (int64
// scalar), <prefix>mean (D), <prefix>m2 (D, D) — stats::RunningMoments' exact parts, merged with Chan's update.
#pragma once

#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "io/array.h"
#include "io/results_json.h"
#include "stats/running_moments.h"

namespace latentlab::io {
class NpzReader;
}

namespace latentlab::metrics {

// The key of a shard's results JSON that names its shard file (a path relative to the JSON's folder).
inline constexpr const char* kKeyShardFile = "shard_file";

// X.json -> X.npz; a usage UserError naming `option` for an empty path or one that does not end in .json.
std::string shard_file_for(const std::string& json_path, const std::string& option);
// The shard file a shard's results JSON names; UserError naming the JSON when it names none (the JSON is
// not from a sharded run of `command`).
std::string shard_file_of(const std::string& json_path, const nlohmann::json& document, const std::string& command);

// The inputs a shard's results JSON lists (path and SHA-256 as the shard saw them), for the merge to carry.
std::vector<io::InputRecord> input_records(const nlohmann::json& document);

io::Array json_array(const nlohmann::json& value);
// Errors name the file and the key.
nlohmann::json read_json_array(const io::NpzReader& npz, const std::string& key);
// A member of dtype `dtype` (at::kLong, at::kFloat, at::kDouble) with `dims` dimensions, as a CPU tensor.
at::Tensor read_tensor(const io::NpzReader& npz, const std::string& key, c10::ScalarType dtype, int64_t dims);

void add_moments(io::NamedArrays& arrays, const std::string& prefix, const stats::RunningMoments& moments);
stats::RunningMoments read_moments(const io::NpzReader& npz, const std::string& prefix);

// "i/n" labels of `files` (same order): each of 0/n .. n-1/n exactly once, n = files.size(). Returns, for
// each shard index, the position of its file in `files`. UserError naming the offending file otherwise.
std::vector<size_t> check_complete_shards(const std::vector<std::string>& labels,
                                          const std::vector<std::string>& files);

// The moments `prefix` of every file, merged in the given order (Chan's update). UserError naming the file
// whose dimension differs from the first's, or when the counts do not add up to `total` (the positions').
stats::RunningMoments merge_moments(const std::vector<const io::NpzReader*>& files, const std::string& prefix,
                                    int64_t total);

// Member `key` (dtype, `dims` dimensions) of every file, concatenated in the given order and put in position
// order by `order` (position_order's). Each file's leading dimension must equal its number of positions and
// its other dimensions the first file's; UserError naming the file otherwise.
at::Tensor rows_in_order(const std::vector<const io::NpzReader*>& files, const std::string& key, c10::ScalarType dtype,
                         int64_t dims, const std::vector<at::Tensor>& positions, const at::Tensor& order);

// `positions`: one (n_k) int64 tensor per file (same order as `files`). Checks that together they hold
// 0..N-1 exactly once (N = the total) and returns the (N) int64 index that puts the concatenated rows in
// position order: rows_in_order = at::cat(rows).index_select(0, order).
at::Tensor position_order(const std::vector<at::Tensor>& positions, const std::vector<std::string>& files,
                          const std::string& what);

}  // namespace latentlab::metrics
