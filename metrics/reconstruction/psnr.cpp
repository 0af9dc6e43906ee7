#include "metrics/reconstruction/psnr.h"

#include <cmath>

#include <ATen/ATen.h>

namespace latentlab::metrics {

at::Tensor psnr_per_image(const at::Tensor& originals, const at::Tensor& reconstructions) {
  check_image_pairs(originals, reconstructions, kKeyPsnr);
  const at::Tensor diff = originals.to(at::kDouble) - reconstructions.to(at::kDouble);
  const at::Tensor mse = diff.pow(2).flatten(1).mean(1);
  return (10.0 * at::log10(255.0 * 255.0 / mse)).cpu();  // mse 0 -> +inf, as numpy
}

nlohmann::json PsnrMetric::finalize() const {
  nlohmann::json out = mean_json();
  int64_t infinite = 0, finite = 0;
  double finite_sum = 0;
  for (double v : values()) {
    if (std::isinf(v)) {
      ++infinite;
    } else {
      ++finite;
      finite_sum += v;
    }
  }
  if (infinite > 0) out[kKeyPsnr] = nullptr;
  out[kKeyPsnrInfiniteCount] = infinite;
  out[kKeyPsnrFiniteMean] = finite > 0 ? nlohmann::json(finite_sum / finite) : nlohmann::json();
  return out;
}

}  // namespace latentlab::metrics
