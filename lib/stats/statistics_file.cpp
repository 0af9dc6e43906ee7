#include "stats/statistics_file.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)

#include "core/error.h"
#include "io/npz.h"
#include "io/tensor_convert.h"

// Without libzip, io::NpzReader and io::write_npz refuse every file with one line (io/zip_archive_unavailable.cpp).
namespace latentlab::stats {

namespace {

constexpr const char* kFidKeys = "a pytorch-fid statistics file holds 'mu' and 'sigma'";
constexpr const char* kAdmKeys = "an ADM reference batch holds 'mu', 'sigma', 'mu_s', 'sigma_s'";
constexpr const char* kMomentsKeys = "a latentlab statistics file holds 'count', 'mean', 'm2', 'protocol'";

const io::NpyHeader& require(const io::NpzReader& npz, const std::string& key, const char* layout) {
  if (!npz.contains(key)) {
    std::string keys;
    for (const auto& name : npz.names()) keys += (keys.empty() ? "'" : ", '") + name + "'";
    fail(npz.path(), "missing key '{}' ({}; this file has {})", key, layout, keys.empty() ? "no keys" : keys);
  }
  return npz.info(key);
}

// A float array widened to float64 on the CPU, with the expected number of dimensions.
at::Tensor read_float(const io::NpzReader& npz, const std::string& key, int64_t dims, const char* layout) {
  const io::NpyHeader& info = require(npz, key, layout);
  if (info.dtype != io::DType::F64 && info.dtype != io::DType::F32 && info.dtype != io::DType::F16)
    fail(npz.path(), "key '{}' has dtype {}, expected float64", key, io::dtype_name(info.dtype));
  if (static_cast<int64_t>(info.shape.size()) != dims)
    fail(npz.path(), "key '{}' has shape {}, expected {} dimension(s)", key, io::shape_string(info.shape), dims);
  at::Tensor t = io::to_tensor(npz.read(key)).to(at::kDouble).clone();
  if (!at::isfinite(t).all().item<bool>()) fail(npz.path(), "key '{}' holds NaN or infinite values", key);
  return t;
}

GaussianStats read_gaussian(const io::NpzReader& npz, const std::string& mu_key, const std::string& sigma_key,
                            const char* layout) {
  GaussianStats s{read_float(npz, mu_key, 1, layout), read_float(npz, sigma_key, 2, layout)};
  const int64_t d = s.mu.size(0);
  if (s.sigma.size(0) != d || s.sigma.size(1) != d)
    fail(npz.path(), "key '{}' has shape [{}], expected [{}, {}] to match '{}' of shape [{}]", sigma_key,
         fmt::join(s.sigma.sizes(), ", "), d, d, mu_key, d);
  return s;
}

std::string protocol_text(const nlohmann::json& protocol) {
  return protocol.dump();
}

}  // namespace

GaussianStats read_fid_stats(const std::string& path) {
  const io::NpzReader npz(path);
  return read_gaussian(npz, "mu", "sigma", kFidKeys);
}

void write_fid_stats(const std::string& path, const GaussianStats& stats, bool compressed) {
  const int64_t d = stats.mu.dim() == 1 ? stats.mu.size(0) : -1;
  if (d < 1 || stats.sigma.dim() != 2 || stats.sigma.size(0) != d || stats.sigma.size(1) != d)
    fail(path, "cannot write statistics: mu [{}] and sigma [{}] must be [D] and [D, D]",
         fmt::join(stats.mu.sizes(), ", "), fmt::join(stats.sigma.sizes(), ", "));
  io::write_npz(path,
                {{"mu", io::to_array(stats.mu.to(at::kDouble), "mu")},
                 {"sigma", io::to_array(stats.sigma.to(at::kDouble), "sigma")}},
                compressed);
}

AdmReferenceStats read_adm_reference_stats(const std::string& path) {
  const io::NpzReader npz(path);
  AdmReferenceStats out{read_gaussian(npz, "mu", "sigma", kAdmKeys), std::nullopt};
  if (npz.contains("mu_s") || npz.contains("sigma_s")) out.spatial = read_gaussian(npz, "mu_s", "sigma_s", kAdmKeys);
  return out;
}

void write_moments_file(const std::string& path, const RunningMoments& moments, const nlohmann::json& protocol) {
  const int64_t count = moments.count();
  const std::string text = protocol_text(protocol);
  io::NamedArrays arrays;
  arrays.emplace_back("count", io::Array::copy_of(io::DType::I64, {}, &count, sizeof count));
  arrays.emplace_back("mean", io::to_array(moments.mean(), "mean"));
  arrays.emplace_back("m2", io::to_array(moments.m2(), "m2"));
  arrays.emplace_back("protocol",
                      io::Array::copy_of(io::DType::U8, {static_cast<int64_t>(text.size())}, text.data(), text.size()));
  if (moments.full_covariance() && count >= 2) {
    arrays.emplace_back("mu", io::to_array(moments.mean(), "mu"));
    arrays.emplace_back("sigma", io::to_array(moments.covariance(), "sigma"));
  }
  io::write_npz(path, arrays, /*compressed=*/false);
}

MomentsFile read_moments_file(const std::string& path) {
  const io::NpzReader npz(path);
  const io::NpyHeader& count_info = require(npz, "count", kMomentsKeys);
  if (count_info.dtype != io::DType::I64 || !count_info.shape.empty())
    fail(path, "key 'count' must be an int64 scalar, got {} of shape {}", io::dtype_name(count_info.dtype),
         io::shape_string(count_info.shape));
  const int64_t count = io::to_tensor(npz.read("count")).item<int64_t>();
  if (count < 0) fail(path, "key 'count' is negative ({})", count);
  const at::Tensor mean = read_float(npz, "mean", 1, kMomentsKeys);
  const io::NpyHeader& m2_info = require(npz, "m2", kMomentsKeys);
  const int64_t m2_dims = static_cast<int64_t>(m2_info.shape.size());
  if (m2_dims != 1 && m2_dims != 2)
    fail(path, "key 'm2' has shape {}, expected [D, D] or [D]", io::shape_string(m2_info.shape));
  const at::Tensor m2 = read_float(npz, "m2", m2_dims, kMomentsKeys);
  const int64_t d = mean.size(0);
  if (m2.size(0) != d || (m2_dims == 2 && m2.size(1) != d))
    fail(path, "key 'm2' has shape [{}], which does not match 'mean' of shape [{}]", fmt::join(m2.sizes(), ", "), d);
  if (d < 1) fail(path, "key 'mean' is empty");
  const io::NpyHeader& protocol_info = require(npz, "protocol", kMomentsKeys);
  if (protocol_info.dtype != io::DType::U8 || protocol_info.shape.size() != 1)
    fail(path, "key 'protocol' must be a 1-D uint8 array of UTF-8 JSON text, got {} of shape {}",
         io::dtype_name(protocol_info.dtype), io::shape_string(protocol_info.shape));
  const io::Array text = npz.read("protocol");
  nlohmann::json protocol;
  try {
    protocol = nlohmann::json::parse(reinterpret_cast<const char*>(text.data),
                                     reinterpret_cast<const char*>(text.data) + text.nbytes);
  } catch (const nlohmann::json::exception& e) {
    fail(path, "key 'protocol' is not valid JSON: {}", e.what());
  }
  return {RunningMoments::from_parts(count, mean, m2), std::move(protocol)};
}

MomentsFile merge_moments_files(const std::vector<std::string>& paths) {
  if (paths.empty()) fail_usage("statistics", "no statistics files to merge");
  MomentsFile merged = read_moments_file(paths.front());
  for (size_t i = 1; i < paths.size(); ++i) {
    MomentsFile shard = read_moments_file(paths[i]);
    if (shard.protocol != merged.protocol)
      fail(paths[i], "protocol differs from that of {}: {} vs {}", paths.front(), shard.protocol.dump(),
           merged.protocol.dump());
    if (shard.moments.dim() != merged.moments.dim() ||
        shard.moments.full_covariance() != merged.moments.full_covariance())
      fail(paths[i], "holds {} {} moments, {} holds {} {}", shard.moments.dim(),
           shard.moments.full_covariance() ? "full" : "diagonal", paths.front(), merged.moments.dim(),
           merged.moments.full_covariance() ? "full" : "diagonal");
    merged.moments.merge(shard.moments);
  }
  return merged;
}

}  // namespace latentlab::stats
