#include "metrics/evaluate/stats_set.h"

#include <algorithm>
#include <set>

#include <ATen/ATen.h>

#include "core/error.h"
#include "io/npz.h"
#include "io/tensor_convert.h"

namespace latentlab::metrics {
namespace {

constexpr const char* kLayoutKeys = "a latentlab statistics file holds count, mean, m2, protocol (+ mean_s, m2_s)";

at::Tensor read_f64(const io::NpzReader& npz, const std::string& key, int64_t dims) {
  if (!npz.contains(key)) fail(npz.path(), "missing key '{}' ({})", key, kLayoutKeys);
  const at::Tensor t = io::to_tensor(npz.read(key)).to(at::kDouble).clone();
  if (t.dim() != dims) fail(npz.path(), "key '{}' must have {} dimensions, got {}", key, dims, t.dim());
  if (!at::isfinite(t).all().item<bool>()) fail(npz.path(), "key '{}' holds non-finite values", key);
  return t;
}

stats::RunningMoments read_moments(const io::NpzReader& npz, int64_t count, const std::string& suffix) {
  const at::Tensor mean = read_f64(npz, "mean" + suffix, 1);
  const at::Tensor m2 = read_f64(npz, "m2" + suffix, 2);
  if (m2.size(0) != mean.size(0) || m2.size(1) != mean.size(0))
    fail(npz.path(), "key 'm2{}' has shape ({}, {}) but 'mean{}' has {} values", suffix, m2.size(0), m2.size(1), suffix,
         mean.size(0));
  return stats::RunningMoments::from_parts(count, mean, m2);
}

FeatureStats read_latentlab(const io::NpzReader& npz) {
  FeatureStats out;
  out.layout = "latentlab";
  const io::Array count = npz.read("count");
  if (count.dtype != io::DType::I64 || !count.shape.empty()) fail(npz.path(), "key 'count' must be an int64 scalar");
  out.count = *reinterpret_cast<const int64_t*>(count.data);
  if (out.count < 2) fail(npz.path(), "key 'count' is {}; statistics need at least 2 features", out.count);
  out.pool3_moments = read_moments(npz, out.count, "");
  if (npz.contains("m2_s")) out.spatial_moments = read_moments(npz, out.count, "_s");
  if (!npz.contains("protocol")) fail(npz.path(), "missing key 'protocol' ({})", kLayoutKeys);
  const io::Array text = npz.read("protocol");
  if (text.dtype != io::DType::U8 || text.shape.size() != 1)
    fail(npz.path(), "key 'protocol' must be a 1-D uint8 array of JSON text");
  try {
    out.protocol = nlohmann::json::parse(reinterpret_cast<const char*>(text.data),
                                         reinterpret_cast<const char*>(text.data) + text.shape[0]);
  } catch (const nlohmann::json::exception& e) {
    fail(npz.path(), "key 'protocol' is not valid JSON: {}", e.what());
  }
  out.finish_from_moments();
  return out;
}

void add_moments(io::NamedArrays& arrays, const stats::RunningMoments& m, const std::string& suffix) {
  arrays.emplace_back("mean" + suffix, io::to_array(m.mean(), "mean" + suffix));
  arrays.emplace_back("m2" + suffix, io::to_array(m.m2(), "m2" + suffix));
  arrays.emplace_back("mu" + suffix, io::to_array(m.mean(), "mu" + suffix));
  arrays.emplace_back("sigma" + suffix, io::to_array(m.covariance(), "sigma" + suffix));
}

}  // namespace

void FeatureStats::finish_from_moments() {
  if (pool3_moments) {
    count = pool3_moments->count();
    if (count < 2) fail("features", "statistics need at least 2 images, got {}", count);
    pool3 = stats::GaussianStats{pool3_moments->mean(), pool3_moments->covariance()};
  }
  if (spatial_moments) spatial = stats::GaussianStats{spatial_moments->mean(), spatial_moments->covariance()};
}

FeatureStats read_feature_stats(const std::string& path) {
  std::optional<io::NpzReader> npz;
  npz.emplace(path);
  if (npz->contains("m2")) return read_latentlab(*npz);
  FeatureStats out;
  if (npz->contains("mu_s")) {
    npz.reset();
    auto adm = stats::read_adm_reference_stats(path);
    out.layout = "adm-reference";
    out.pool3 = std::move(adm.pool);
    out.spatial = std::move(adm.spatial);
  } else {
    npz.reset();
    out.layout = "pytorch-fid";
    out.pool3 = stats::read_fid_stats(path);
  }
  return out;
}

void write_feature_stats(const std::string& path, const FeatureStats& stats) {
  LATENTLAB_ASSERT(stats.pool3_moments.has_value(), "write_feature_stats needs moments");
  const int64_t count = stats.pool3_moments->count();
  if (count < 2) fail(path, "statistics need at least 2 images, got {}", count);
  const std::string text = stats.protocol.dump();
  io::NamedArrays arrays;
  arrays.emplace_back("count", io::Array::copy_of(io::DType::I64, {}, &count, sizeof count));
  arrays.emplace_back("protocol",
                      io::Array::copy_of(io::DType::U8, {static_cast<int64_t>(text.size())}, text.data(), text.size()));
  add_moments(arrays, *stats.pool3_moments, "");
  if (stats.spatial_moments) add_moments(arrays, *stats.spatial_moments, "_s");
  io::write_npz(path, arrays, /*compressed=*/false);
}

FeatureStats merge_feature_stats(const std::vector<std::string>& paths) {
  if (paths.empty()) fail_usage("stats merge", "needs at least one statistics file");
  FeatureStats merged;
  nlohmann::json common;
  std::vector<std::string> shards;
  for (size_t i = 0; i < paths.size(); ++i) {
    FeatureStats part = read_feature_stats(paths[i]);
    if (part.layout != "latentlab")
      fail(paths[i], "is a {} file; only latentlab statistics files (stats make) hold mergeable moments", part.layout);
    nlohmann::json protocol = part.protocol;
    shards.push_back(protocol.value("shard", "0/1"));
    protocol.erase("shard");
    if (i == 0) {
      common = protocol;
      merged = std::move(part);
      continue;
    }
    if (protocol != common)
      fail(paths[i], "protocol differs from that of {} (beyond the shard): {} vs {}", paths[0], protocol.dump(),
           common.dump());
    if (part.spatial_moments.has_value() != merged.spatial_moments.has_value())
      fail(paths[i], "has {} spatial (sFID) moments but {} has {}", part.spatial_moments ? "" : "no", paths[0],
           merged.spatial_moments ? "them" : "none");
    merged.pool3_moments->merge(*part.pool3_moments);
    if (merged.spatial_moments) merged.spatial_moments->merge(*part.spatial_moments);
  }
  // A complete set of shards i/n is the whole dataset.
  std::set<std::string> expected, given(shards.begin(), shards.end());
  const auto slash = shards[0].find('/');
  const std::string n = slash == std::string::npos ? "" : shards[0].substr(slash + 1);
  for (size_t i = 0; i < shards.size(); ++i) expected.insert(std::to_string(i) + "/" + n);
  std::string label;
  if (given == expected && given.size() == shards.size() && std::to_string(shards.size()) == n) {
    label = "0/1";
  } else {
    for (const auto& s : shards) label += (label.empty() ? "merged:" : ",") + s;
  }
  common["shard"] = label;
  merged.protocol = common;
  merged.finish_from_moments();
  return merged;
}

}  // namespace latentlab::metrics
