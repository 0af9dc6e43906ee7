#include "train/ldm_latents.h"

#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/log.h"
#include "distributed/communicator.h"
#include "distributed/rank_share.h"
#include "store/reader.h"

namespace latentlab::train {

diffusion::LatentNorm ldm_latent_norm(const store::StoreInfo& info, const std::string& kind, double scale) {
  diffusion::LatentNorm norm;
  const auto& identity = info.header.identity;
  const size_t channels = static_cast<size_t>(identity.latent_shape.at(0));
  if (kind == "fixed") {
    norm.mean.assign(channels, 0.0);
    norm.std.assign(channels, 1.0 / scale);
    norm.source = fmt::format("fixed:{}", scale);
  } else {
    norm.mean = info.channel_mean;
    norm.std = info.channel_std;
    norm.source = "store:" + info.path;
    if (kind == "scalar") {
      double mean = 0, variance = 0;
      for (size_t c = 0; c < channels; ++c) mean += norm.mean[c] / static_cast<double>(channels);
      for (size_t c = 0; c < channels; ++c)
        variance +=
            (norm.std[c] * norm.std[c] + (norm.mean[c] - mean) * (norm.mean[c] - mean)) / static_cast<double>(channels);
      norm.mean.assign(channels, mean);
      norm.std.assign(channels, std::sqrt(variance));
      norm.source = "store-scalar:" + info.path;
    }
  }
  norm.vae_sha256 = identity.vae_sha256;
  const auto vae_config = nlohmann::json::parse(identity.vae_config, nullptr, false);
  if (vae_config.is_object()) norm.vae_preset = vae_config.value("preset", "");
  norm.validate(info.path + " (channel statistics; --latent-norm " + kind + ")");
  return norm;
}

void require_same_latents_on_every_rank(distributed::Communicator& communicator, const store::StoreReader& reader,
                                        const diffusion::LatentNorm& norm, int64_t classes) {
  if (!communicator.distributed()) return;
  const auto& shape = reader.info().header.identity.latent_shape;
  std::vector<std::string> names{"rows", "classes"};
  std::vector<double> values{static_cast<double>(reader.rows()), static_cast<double>(classes)};
  for (size_t d = 0; d < shape.size(); ++d) {
    names.push_back(fmt::format("latent dimension {}", d));
    values.push_back(static_cast<double>(shape[d]));
  }
  std::string differ;
  const auto first_difference = [&] {
    const auto ranges = distributed::value_ranges(communicator, values);
    for (size_t i = 0; i < ranges.size() && differ.empty(); ++i)
      if (ranges[i].first != ranges[i].second)
        differ = fmt::format("{} {:.17g} to {:.17g}", names[i], ranges[i].first, ranges[i].second);
  };
  first_difference();  // sizes first: with other channel counts the statistics below would not line up
  if (differ.empty()) {
    names.clear(), values.clear();
    for (size_t c = 0; c < norm.mean.size(); ++c) {
      names.push_back(fmt::format("channel {} normalisation mean", c));
      values.push_back(norm.mean[c]);
      names.push_back(fmt::format("channel {} normalisation std", c));
      values.push_back(norm.std[c]);
    }
    first_difference();
  }
  if (!differ.empty())
    fail(reader.path(), "rank {} of {}: the ranks' latent stores differ ({}); every rank must read the same store",
         communicator.rank(), communicator.world_size(), differ);
}

int64_t ldm_num_classes(const store::StoreReader& reader, int64_t requested) {
  const std::vector<uint8_t> bytes = reader.read_raw("labels", 0, reader.rows());
  std::vector<int64_t> labels(bytes.size() / sizeof(int64_t));
  std::memcpy(labels.data(), bytes.data(), labels.size() * sizeof(int64_t));
  int64_t largest = -1;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0)
      fail(reader.path(), "row {} has no class label ({}); train-ldm trains class-conditional SiTs", i, labels[i]);
    largest = std::max(largest, labels[i]);
  }
  if (requested > 0 && largest >= requested)
    fail_usage("--num-classes", "is {} but {} holds label {}", requested, reader.path(), largest);
  return requested > 0 ? requested : largest + 1;
}

models::SiTConfig ldm_sit_config(const LdmTrainOptions& o, const store::StoreReader& reader, int64_t teacher_width) {
  models::SiTConfig c = models::SiTConfig::preset_config(o.preset);
  const auto& shape = reader.info().header.identity.latent_shape;
  if (shape.at(1) != shape.at(2))
    fail(reader.path(), "holds {}×{} latents; the SiT needs square latents", shape[1], shape[2]);
  c.in_channels = shape[0];
  c.input_size = shape[1];
  if (o.hidden_size > 0) c.hidden_size = o.hidden_size;
  if (o.depth > 0) c.depth = o.depth;
  if (o.num_heads > 0) c.num_heads = o.num_heads;
  if (o.patch_size > 0) c.patch_size = o.patch_size;
  if (o.encoder_depth > 0) c.encoder_depth = o.encoder_depth;
  if (o.projector_dim > 0) c.projector_dim = o.projector_dim;
  c.num_classes = ldm_num_classes(reader, o.num_classes);
  c.class_dropout_prob = o.label_dropout;
  c.z_dims = teacher_width > 0 ? std::vector<int64_t>{teacher_width} : std::vector<int64_t>{};
  c.name_preset();
  c.validate("--preset " + o.preset + " on " + reader.path());
  return c;
}

}  // namespace latentlab::train
