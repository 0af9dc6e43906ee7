#include "metrics/reconstruction/recon_shard.h"

#include <memory>

#include <ATen/ATen.h>

#include "core/error.h"
#include "io/npz.h"
#include "io/tensor_convert.h"
#include "metrics/evaluate/shard_file.h"

namespace latentlab::metrics {
namespace {

io::Array f64_array(const std::vector<double>& values) {
  return io::Array::copy_of(io::DType::F64, {static_cast<int64_t>(values.size())}, values.data(),
                            values.size() * sizeof(double));
}

nlohmann::json common_part(nlohmann::json protocol) {
  protocol.erase("shard");
  protocol.erase("count");
  return protocol;
}

}  // namespace

void write_recon_shard(const std::string& path, const std::vector<int64_t>& positions, const ReconParts& parts,
                       const nlohmann::json& protocol) {
  LATENTLAB_ASSERT(static_cast<int64_t>(positions.size()) == parts.count && protocol.contains("shard"),
                   "a recon shard needs one position per image and its shard label");
  io::NamedArrays arrays;
  arrays.emplace_back(
      "protocol", json_array({{"format", kReconShardFormat}, {"shard", protocol.at("shard")}, {"protocol", protocol}}));
  arrays.emplace_back("positions", io::Array::copy_of(io::DType::I64, {parts.count}, positions.data(),
                                                      positions.size() * sizeof(int64_t)));
  arrays.emplace_back("psnr", f64_array(parts.psnr));
  arrays.emplace_back("ssim", f64_array(parts.ssim));
  if (parts.lpips_computed) arrays.emplace_back("lpips", f64_array(parts.lpips));
  if (parts.originals_pool3) add_moments(arrays, "originals_pool3_", *parts.originals_pool3);
  if (parts.recon_pool3) add_moments(arrays, "recon_pool3_", *parts.recon_pool3);
  io::write_npz(path, arrays, /*compressed=*/false);
}

MergedRecon merge_recon_shards(const std::vector<std::string>& paths) {
  if (paths.empty()) fail_usage("SHARDS", "needs at least one shard");
  std::vector<std::unique_ptr<io::NpzReader>> files;
  std::vector<nlohmann::json> headers;
  std::vector<std::string> labels;
  for (const auto& path : paths) {
    files.push_back(std::make_unique<io::NpzReader>(path));
    headers.push_back(read_json_array(*files.back(), "protocol"));
    const nlohmann::json& h = headers.back();
    if (!h.is_object() || h.value("format", "") != kReconShardFormat ||
        !h.value("protocol", nlohmann::json()).is_object())
      fail(path, "is not a recon shard file of `latentlab recon --shard` (format '{}')", kReconShardFormat);
    labels.push_back(headers.back().value("shard", ""));
  }
  const nlohmann::json common = common_part(headers[0].at("protocol"));
  for (size_t k = 0; k < paths.size(); ++k)
    if (common_part(headers[k].at("protocol")) != common)
      fail(paths[k], "comes from another run than {} (its protocol differs beyond the shard and count): {} vs {}",
           paths[0], common_part(headers[k].at("protocol")).dump(), common.dump());
  const std::vector<size_t> in_order = check_complete_shards(labels, paths);

  std::vector<std::string> ordered_paths;
  std::vector<const io::NpzReader*> ordered;
  std::vector<at::Tensor> positions;
  for (size_t k : in_order) {
    ordered_paths.push_back(paths[k]);
    ordered.push_back(files[k].get());
    positions.push_back(read_tensor(*files[k], "positions", at::kLong, 1));
  }
  const at::Tensor order = position_order(positions, ordered_paths, "image");
  const auto values = [&](const std::string& key) {
    const at::Tensor sorted = rows_in_order(ordered, key, at::kDouble, 1, positions, order).contiguous();
    return std::vector<double>(sorted.data_ptr<double>(), sorted.data_ptr<double>() + sorted.numel());
  };
  MergedRecon out;
  out.parts.count = order.numel();
  out.parts.psnr = values("psnr");
  out.parts.ssim = values("ssim");
  out.parts.lpips_computed = ordered[0]->contains("lpips");
  if (out.parts.lpips_computed) out.parts.lpips = values("lpips");
  if (ordered[0]->contains("originals_pool3_m2")) {
    out.parts.originals_pool3 = merge_moments(ordered, "originals_pool3_", order.numel());
    out.parts.recon_pool3 = merge_moments(ordered, "recon_pool3_", order.numel());
  }
  out.protocol = common;
  out.protocol["count"] = out.parts.count;
  return out;
}

}  // namespace latentlab::metrics
