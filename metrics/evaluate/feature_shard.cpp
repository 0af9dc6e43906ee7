#include "metrics/evaluate/feature_shard.h"

#include <memory>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/error.h"
#include "io/npz.h"
#include "io/sha256.h"
#include "io/tensor_convert.h"
#include "metrics/evaluate/shard_file.h"

namespace latentlab::metrics {
namespace {

constexpr const char* kImages = "images";
constexpr const char* kStats = "stats";

nlohmann::json without_shard(nlohmann::json protocol) {
  protocol.erase("shard");
  for (auto& side : protocol["sides"])
    if (side.contains("protocol") && side["protocol"].is_object()) side["protocol"].erase("shard");
  return protocol;
}

struct ShardPart {
  std::string path;
  std::unique_ptr<io::NpzReader> npz;
  nlohmann::json protocol;
};

// One image side of all shards, in shard order, as one set in position order.
FeatureSet merge_image_side(const std::vector<const ShardPart*>& parts, const std::string& role,
                            const nlohmann::json& side) {
  std::vector<std::string> files;
  std::vector<const io::NpzReader*> npzs;
  std::vector<at::Tensor> positions;
  for (const ShardPart* part : parts) {
    files.push_back(part->path);
    npzs.push_back(part->npz.get());
    positions.push_back(read_tensor(*part->npz, role + "_positions", at::kLong, 1));
  }
  const at::Tensor order = position_order(positions, files, role);
  const io::NpzReader& first = *npzs[0];
  FeatureSet set;
  set.role = role;
  set.source = side.value("input", "");
  for (const auto& [key, rows] : {std::pair{role + "_pool3", &set.pool3_rows}, {role + "_logits", &set.logits}})
    if (first.contains(key)) *rows = rows_in_order(npzs, key, at::kFloat, 2, positions, order);
  if (first.contains(role + "_pool3_m2"))
    set.stats.pool3_moments = merge_moments(npzs, role + "_pool3_", order.numel());
  if (first.contains(role + "_spatial_m2"))
    set.stats.spatial_moments = merge_moments(npzs, role + "_spatial_", order.numel());
  set.stats.layout = "images";
  set.stats.protocol = side.value("protocol", nlohmann::json::object());
  if (!set.stats.protocol.is_object()) fail(files[0], "the {} set's protocol is not a JSON object", role);
  set.stats.protocol["shard"] = "0/1";  // the whole dataset, as one unsharded run records it
  set.stats.finish_from_moments();
  set.stats.count = order.numel();
  return set;
}

}  // namespace

void write_feature_shard(const std::string& path, int shard_index, int shard_count, const MetricChoices& choices,
                         const std::vector<FeatureShardSide>& sides) {
  const std::string label = fmt::format("{}/{}", shard_index, shard_count);
  nlohmann::json protocol = {{"format", kFeatureShardFormat},
                             {"shard", label},
                             {"choices", choices.to_json()},
                             {"sides", nlohmann::json::array()}};
  io::NamedArrays arrays;
  for (const auto& side : sides) {
    const bool stats = side.input.kind == MetricInput::Kind::Stats;
    nlohmann::json entry = {{"role", side.role}, {"kind", stats ? kStats : kImages}, {"input", side.input.spec}};
    if (stats) {
      entry["sha256"] = io::sha256_file(side.input.spec);
      protocol["sides"].push_back(entry);
      continue;
    }
    entry["protocol"] = side.set.stats.protocol;
    protocol["sides"].push_back(entry);
    const std::string& r = side.role;
    const at::Tensor positions =
        at::arange(side.set.count(), at::TensorOptions().dtype(at::kLong)) * shard_count + shard_index;
    arrays.emplace_back(r + "_positions", io::to_array(positions, r + "_positions"));
    if (side.set.pool3_rows.defined()) arrays.emplace_back(r + "_pool3", io::to_array(side.set.pool3_rows, r));
    if (side.set.logits.defined()) arrays.emplace_back(r + "_logits", io::to_array(side.set.logits, r));
    if (side.set.stats.pool3_moments) add_moments(arrays, r + "_pool3_", *side.set.stats.pool3_moments);
    if (side.set.stats.spatial_moments) add_moments(arrays, r + "_spatial_", *side.set.stats.spatial_moments);
  }
  arrays.emplace(arrays.begin(), "protocol", json_array(protocol));
  io::write_npz(path, arrays, /*compressed=*/false);
}

MergedFeatures merge_feature_shards(const std::vector<std::string>& paths) {
  if (paths.empty()) fail_usage("SHARDS", "needs at least one shard");
  std::vector<ShardPart> parts;
  std::vector<std::string> labels;
  for (const auto& path : paths) {
    ShardPart part{path, std::make_unique<io::NpzReader>(path), nlohmann::json()};
    part.protocol = read_json_array(*part.npz, "protocol");
    if (!part.protocol.is_object() || part.protocol.value("format", "") != kFeatureShardFormat ||
        !part.protocol.value("sides", nlohmann::json()).is_array())
      fail(path, "is not a feature shard file of `latentlab metrics --shard` (format '{}')", kFeatureShardFormat);
    labels.push_back(part.protocol.value("shard", ""));
    parts.push_back(std::move(part));
  }
  const nlohmann::json common = without_shard(parts[0].protocol);
  for (const auto& part : parts)
    if (without_shard(part.protocol) != common)
      fail(part.path, "comes from another run than {} (its protocol differs beyond the shard): {} vs {}", paths[0],
           without_shard(part.protocol).dump(), common.dump());
  std::vector<const ShardPart*> in_order;
  for (size_t k : check_complete_shards(labels, paths)) in_order.push_back(&parts[k]);

  MergedFeatures merged;
  merged.choices = MetricChoices::from_json(common.at("choices"), paths[0]);
  const GenerativeOptions options = merged.choices.resolve();
  for (const auto& side : parts[0].protocol.at("sides")) {
    FeatureShardSide out;
    try {
      out.role = side.at("role").get<std::string>();
      out.input.spec = side.at("input").get<std::string>();
    } catch (const nlohmann::json::exception& e) {
      fail(paths[0], "a side of its protocol is malformed: {}", e.what());
    }
    if (side.value("kind", "") == kStats) {
      out.input.kind = MetricInput::Kind::Stats;
      if (io::sha256_file(out.input.spec) != side.value("sha256", ""))
        fail(out.input.spec, "changed since the shards were made (its SHA-256 differs from the one they recorded)");
      out.set = load_stats_set(out.input, options.metrics, out.role == "real", out.input.to_string());
    } else {
      out.set = merge_image_side(in_order, out.role, side);
    }
    merged.sides.push_back(std::move(out));
  }
  return merged;
}

}  // namespace latentlab::metrics
