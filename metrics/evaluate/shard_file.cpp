#include "metrics/evaluate/shard_file.h"

#include <algorithm>
#include <filesystem>

#include <ATen/ATen.h>

#include "core/error.h"
#include "io/npz.h"
#include "io/tensor_convert.h"

namespace latentlab::metrics {
namespace fs = std::filesystem;

std::string shard_file_for(const std::string& json_path, const std::string& option) {
  if (json_path.empty()) fail_usage(option, "is required with --shard (X.json; the shard file X.npz goes next to it)");
  const fs::path path(json_path);
  if (path.extension() != ".json")
    fail_usage(option, "a sharded run writes X.json with its shard file X.npz next to it; '{}' does not end in .json",
               json_path);
  return fs::path(path).replace_extension(".npz").string();
}

std::string shard_file_of(const std::string& json_path, const nlohmann::json& document, const std::string& command) {
  const auto& results = document.value("results", nlohmann::json::object());
  if (!results.is_object() || !results.contains(kKeyShardFile) || !results[kKeyShardFile].is_string())
    fail(json_path, "is not the results file of a `latentlab {} --shard i/n` run (it names no {})", command,
         kKeyShardFile);
  return (fs::path(json_path).parent_path() / results[kKeyShardFile].get<std::string>()).string();
}

std::vector<io::InputRecord> input_records(const nlohmann::json& document) {
  std::vector<io::InputRecord> records;
  for (const auto& input : document.value(io::kKeyInputs, nlohmann::json::array()))
    if (input.is_object())
      records.push_back({input.value("role", ""), input.value("path", ""), input.value("sha256", ""),
                         input.value(io::kKeyProtocol, nlohmann::json())});
  return records;
}

io::Array json_array(const nlohmann::json& value) {
  const std::string text = value.dump();
  return io::Array::copy_of(io::DType::U8, {static_cast<int64_t>(text.size())}, text.data(), text.size());
}

nlohmann::json read_json_array(const io::NpzReader& npz, const std::string& key) {
  if (!npz.contains(key)) fail(npz.path(), "missing key '{}'", key);
  const io::Array text = npz.read(key);
  if (text.dtype != io::DType::U8 || text.shape.size() != 1)
    fail(npz.path(), "key '{}' must be a 1-D uint8 array of JSON text", key);
  const auto* begin = reinterpret_cast<const char*>(text.data);
  const auto parsed = nlohmann::json::parse(begin, begin + text.shape[0], nullptr, false);
  if (parsed.is_discarded()) fail(npz.path(), "key '{}' is not valid JSON", key);
  return parsed;
}

at::Tensor read_tensor(const io::NpzReader& npz, const std::string& key, c10::ScalarType dtype, int64_t dims) {
  if (!npz.contains(key)) fail(npz.path(), "missing key '{}'", key);
  const io::Array array = npz.read(key);
  if (io::to_scalar_type(array.dtype) != dtype || static_cast<int64_t>(array.shape.size()) != dims)
    fail(npz.path(), "key '{}' must be a {}-D {} array, got {} {}", key, dims, c10::toString(dtype),
         io::shape_string(array.shape), io::dtype_name(array.dtype));
  return io::to_tensor(array).clone();
}

void add_moments(io::NamedArrays& arrays, const std::string& prefix, const stats::RunningMoments& moments) {
  const int64_t count = moments.count();
  arrays.emplace_back(prefix + "count", io::Array::copy_of(io::DType::I64, {}, &count, sizeof count));
  arrays.emplace_back(prefix + "mean", io::to_array(moments.mean(), prefix + "mean"));
  arrays.emplace_back(prefix + "m2", io::to_array(moments.m2(), prefix + "m2"));
}

stats::RunningMoments read_moments(const io::NpzReader& npz, const std::string& prefix) {
  const at::Tensor count = read_tensor(npz, prefix + "count", at::kLong, 0);
  const at::Tensor mean = read_tensor(npz, prefix + "mean", at::kDouble, 1);
  const at::Tensor m2 = read_tensor(npz, prefix + "m2", at::kDouble, 2);
  if (m2.size(0) != mean.size(0) || m2.size(1) != mean.size(0))
    fail(npz.path(), "key '{}m2' has shape ({}, {}) but '{}mean' has {} values", prefix, m2.size(0), m2.size(1), prefix,
         mean.size(0));
  if (count.item<int64_t>() < 1) fail(npz.path(), "key '{}count' must be positive", prefix);
  return stats::RunningMoments::from_parts(count.item<int64_t>(), mean, m2);
}

stats::RunningMoments merge_moments(const std::vector<const io::NpzReader*>& files, const std::string& prefix,
                                    int64_t total) {
  stats::RunningMoments merged = read_moments(*files[0], prefix);
  for (size_t k = 1; k < files.size(); ++k) {
    const stats::RunningMoments next = read_moments(*files[k], prefix);
    if (next.dim() != merged.dim())
      fail(files[k]->path(), "'{}mean' has {} values but {} has {}", prefix, next.dim(), files[0]->path(),
           merged.dim());
    merged.merge(next);
  }
  if (merged.count() != total)
    fail(files[0]->path(), "'{}count' of the shards add up to {}, but they hold {} positions", prefix, merged.count(),
         total);
  return merged;
}

at::Tensor rows_in_order(const std::vector<const io::NpzReader*>& files, const std::string& key, c10::ScalarType dtype,
                         int64_t dims, const std::vector<at::Tensor>& positions, const at::Tensor& order) {
  std::vector<at::Tensor> all;
  for (size_t k = 0; k < files.size(); ++k) {
    at::Tensor t = read_tensor(*files[k], key, dtype, dims);
    std::vector<int64_t> expected = t.sizes().vec();
    expected[0] = positions[k].numel();
    if (k > 0) std::copy(all[0].sizes().begin() + 1, all[0].sizes().end(), expected.begin() + 1);
    if (t.sizes().vec() != expected)
      fail(files[k]->path(), "key '{}' has shape {}; expected {} (one row per position, as the first shard)", key,
           io::shape_string(t.sizes().vec()), io::shape_string(expected));
    all.push_back(std::move(t));
  }
  return at::cat(all).index_select(0, order);
}

std::vector<size_t> check_complete_shards(const std::vector<std::string>& labels,
                                          const std::vector<std::string>& files) {
  const size_t n = files.size();
  std::vector<size_t> file_of(n, n);
  for (size_t k = 0; k < n; ++k) {
    const auto slash = labels[k].find('/');
    size_t index = n;
    try {
      if (slash != std::string::npos && std::stoul(labels[k].substr(slash + 1)) == n)
        index = std::stoul(labels[k].substr(0, slash));
    } catch (const std::exception&) {
    }
    if (index >= n)
      fail(files[k], "is shard {}, but {} shard files were given (the merge needs all of 0/{} .. {}/{})", labels[k], n,
           n, n - 1, n);
    if (file_of[index] != n) fail(files[k], "is shard {}, like {}", labels[k], files[file_of[index]]);
    file_of[index] = k;
  }
  return file_of;
}

at::Tensor position_order(const std::vector<at::Tensor>& positions, const std::vector<std::string>& files,
                          const std::string& what) {
  int64_t total = 0;
  for (const auto& p : positions) total += p.numel();
  std::vector<int64_t> order(static_cast<size_t>(total), -1);
  std::vector<size_t> owner(static_cast<size_t>(total));
  int64_t row = 0;
  for (size_t k = 0; k < positions.size(); ++k) {
    const at::Tensor p = positions[k].contiguous();
    const int64_t* data = p.data_ptr<int64_t>();
    for (int64_t i = 0; i < p.numel(); ++i, ++row) {
      const int64_t position = data[i];
      if (position < 0 || position >= total)
        fail(files[k], "{} row at dataset position {}, outside the {} rows of all shards (a shard is missing?)", what,
             position, total);
      auto& slot = order[static_cast<size_t>(position)];
      if (slot >= 0)
        fail(files[k], "{} position {} is also in {} (shards overlap)", what, position,
             files[owner[static_cast<size_t>(position)]]);
      slot = row;
      owner[static_cast<size_t>(position)] = k;
    }
  }
  // Every slot is filled: `total` distinct positions in [0, total).
  return at::tensor(order, at::TensorOptions().dtype(at::kLong));
}

}  // namespace latentlab::metrics
