#include "metrics/analysis/equivariance.h"

#include <cmath>

#include <ATen/ATen.h>
#include <fmt/ranges.h>  // fmt::join

#include "core/error.h"
#include "metrics/analysis/text_items.h"

namespace latentlab::metrics {

at::Tensor SpatialTransform::apply(const at::Tensor& maps) const {
  if (quarter_turns != 0) return at::rot90(maps, quarter_turns, {2, 3});
  const auto h = static_cast<int64_t>(std::lround(scale * static_cast<double>(maps.size(2))));
  const auto w = static_cast<int64_t>(std::lround(scale * static_cast<double>(maps.size(3))));
  if (h < 1 || w < 1) fail(name, "makes a {}x{} map empty", maps.size(2), maps.size(3));
  return at::upsample_bilinear2d(maps, {h, w}, /*align_corners=*/false);
}

std::vector<SpatialTransform> parse_spatial_transforms(const std::string& text, const std::string& subject) {
  const std::string list = text == "default" ? "scale:0.5,scale:0.25,rot:90,rot:180,rot:270" : text;
  std::vector<SpatialTransform> out;
  for (const auto& item : split_items(list)) {
    SpatialTransform t{item};
    if (item.rfind("scale:", 0) == 0) {
      size_t used = 0;
      try {
        t.scale = std::stod(item.substr(6), &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != item.size() - 6 || !(t.scale > 0 && t.scale < 1))
        fail_usage(subject, "'{}': the scale must be a number in (0, 1)", item);
    } else if (item == "rot:90" || item == "rot:180" || item == "rot:270") {
      t.quarter_turns = std::stoi(item.substr(4)) / 90;
    } else {
      fail_usage(subject, "unknown transform '{}' (forms: scale:S with 0 < S < 1, rot:90, rot:180, rot:270, default)",
                 item);
    }
    out.push_back(t);
  }
  if (out.empty()) fail_usage(subject, "names no transform");
  return out;
}

EquivarianceAccumulator::EquivarianceAccumulator(LatentMap encode, LatentMap decode,
                                                 std::vector<SpatialTransform> transforms)
    : encode_(std::move(encode)),
      decode_(std::move(decode)),
      transforms_(std::move(transforms)),
      sums_(transforms_.size()) {}

void EquivarianceAccumulator::update(const at::Tensor& images) {
  const auto z = encode_(images);
  for (size_t t = 0; t < transforms_.size(); ++t) {
    const auto& transform = transforms_[t];
    const auto target = transform.apply(images).to(at::kDouble);
    const auto tz = transform.apply(z);
    const auto z_of_t = encode_(transform.apply(images));
    if (z_of_t.sizes() != tz.sizes())
      fail(transform.name,
           "E(τx) is {} but τE(x) is {}: the image side times the scale must be a multiple of the "
           "VAE's downsampling factor",
           fmt::join(z_of_t.sizes(), "x"), fmt::join(tz.sizes(), "x"));
    auto& s = sums_[t];
    s.decoder += (decode_(tz).to(at::kDouble) - target).pow(2).sum().item<double>();
    s.reference += (decode_(z_of_t).to(at::kDouble) - target).pow(2).sum().item<double>();
    s.elements += static_cast<double>(target.numel());
    s.latent += (z_of_t.to(at::kDouble) - tz.to(at::kDouble)).pow(2).sum().item<double>();
    s.latent_norm += tz.to(at::kDouble).pow(2).sum().item<double>();
  }
  images_ += images.size(0);
}

nlohmann::json EquivarianceAccumulator::finalize() const {
  nlohmann::json out{{"images", images_}, {"transforms", nlohmann::json::object()}};
  for (size_t t = 0; t < transforms_.size(); ++t) {
    const auto& s = sums_[t];
    const auto ratio = [](double a, double b) { return b > 0 ? nlohmann::json(a / b) : nlohmann::json(); };
    out["transforms"][transforms_[t].name] = {{"decoder_mse", ratio(s.decoder, s.elements)},
                                              {"reference_mse", ratio(s.reference, s.elements)},
                                              {"latent_error", ratio(s.latent, s.latent_norm)}};
  }
  return out;
}

}  // namespace latentlab::metrics
