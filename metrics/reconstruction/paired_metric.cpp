#include "metrics/reconstruction/paired_metric.h"

#include <ATen/ATen.h>

#include "core/error.h"
#include "io/array.h"

namespace latentlab::metrics {

void check_image_pairs(const at::Tensor& originals, const at::Tensor& reconstructions, const std::string& subject) {
  if (originals.scalar_type() != at::kByte || reconstructions.scalar_type() != at::kByte)
    fail(subject, "needs uint8 images, got {} and {}", c10::toString(originals.scalar_type()),
         c10::toString(reconstructions.scalar_type()));
  if (originals.dim() != 4 || originals.size(1) != 3 || originals.sizes() != reconstructions.sizes())
    fail(subject, "needs two (N, 3, H, W) batches of one shape, got {} and {}",
         io::shape_string(originals.sizes().vec()), io::shape_string(reconstructions.sizes().vec()));
}

void PerImageMetric::update(const at::Tensor& originals, const at::Tensor& reconstructions) {
  check_image_pairs(originals, reconstructions, name());
  if (originals.size(0) == 0) return;
  const at::Tensor v = compute(originals, reconstructions).to(at::kCPU, at::kDouble).contiguous();
  const double* p = v.data_ptr<double>();
  values_.insert(values_.end(), p, p + v.numel());
}

void PerImageMetric::merge(const PairedMetric& other) {
  const auto* o = dynamic_cast<const PerImageMetric*>(&other);
  if (o == nullptr || o->name() != name()) fail(name(), "cannot merge a '{}' metric into it", other.name());
  if (o->options() != options())
    fail(name(), "cannot merge results made with other options ({} vs {})", o->options().dump(), options().dump());
  values_.insert(values_.end(), o->values_.begin(), o->values_.end());
}

nlohmann::json PerImageMetric::mean_json() const {
  double sum = 0;
  for (double v : values_) sum += v;
  const auto n = static_cast<int64_t>(values_.size());
  return {{name(), n > 0 ? nlohmann::json(sum / n) : nlohmann::json()}, {name() + "_count", n}};
}

}  // namespace latentlab::metrics
