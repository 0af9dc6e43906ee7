#include "metrics/reconstruction/lpips_metric.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include "models/lpips_vgg.h"

namespace latentlab::metrics {

at::Tensor LpipsMetric::compute(const at::Tensor& originals, const at::Tensor& reconstructions) const {
  c10::NoGradGuard no_grad;
  auto to_input = [&](const at::Tensor& images) {
    return images.to(model_->device()).to(at::kFloat).div(127.5).sub(1.0);
  };
  return model_->distance(to_input(originals), to_input(reconstructions));
}

nlohmann::json LpipsMetric::protocol() const {
  const auto& w = model_->weights();
  return {{"variant", "lpips-v0.1-vgg16"},          {"input", "uint8 x / 127.5 - 1 ([-1, 1])"},
          {"trunk_weights_sha256", w.trunk_sha256}, {"heads_weights_sha256", w.heads_sha256},
          {"trunk_layout", w.trunk_layout},         {"trunk_official", w.trunk_official}};
}

}  // namespace latentlab::metrics
