// LPIPS (v0.1, VGG16 trunk; models/lpips_vgg.h) of uint8 image pairs: both images map to [-1, 1] as
// x / 127.5 − 1 (the lpips package's range; torchmetrics' normalize=False), one distance per pair, then the
// mean over pairs. Runs in float32 without gradients on the model's device.
#pragma once

#include <memory>

#include "metrics/reconstruction/paired_metric.h"

namespace latentlab::models {
class LpipsVGG;
}

namespace latentlab::metrics {

inline constexpr const char* kKeyLpips = "lpips";

class LpipsMetric : public PerImageMetric {
 public:
  // `model` must outlive the metric (and its merges).
  explicit LpipsMetric(std::shared_ptr<const models::LpipsVGG> model) : model_(std::move(model)) {}
  std::string name() const override { return kKeyLpips; }
  nlohmann::json finalize() const override { return mean_json(); }  // lpips, lpips_count

  // The protocol block: variant, input range, weights files and SHA-256s.
  nlohmann::json protocol() const;

 protected:
  at::Tensor compute(const at::Tensor& originals, const at::Tensor& reconstructions) const override;
  nlohmann::json options() const override { return protocol(); }

 private:
  std::shared_ptr<const models::LpipsVGG> model_;
};

}  // namespace latentlab::metrics
