// PSNR of uint8 image pairs (docs/METRICS.md §9, the toolkit default): per image
// 10·log10(255² / MSE), the MSE over every pixel and channel in float64, then the mean over images — as
// skimage.metrics.peak_signal_noise_ratio(data_range=255) per image, averaged (the VAE papers' evaluate
// scripts).
//
// Identical images: MSE 0 gives +inf, as skimage (numpy division) does, and the mean over images is then
// +inf too. JSON has no infinity, so finalize() writes "psnr": null with "psnr_infinite_count" > 0, and
// "psnr_finite_mean", the mean over the pairs that differ, for a usable number.
#pragma once

#include "metrics/reconstruction/paired_metric.h"

namespace latentlab::metrics {

inline constexpr const char* kKeyPsnr = "psnr";
inline constexpr const char* kKeyPsnrInfiniteCount = "psnr_infinite_count";
inline constexpr const char* kKeyPsnrFiniteMean = "psnr_finite_mean";

// originals, reconstructions: uint8 (N, 3, H, W) -> (N) float64 CPU, +inf where a pair is identical.
at::Tensor psnr_per_image(const at::Tensor& originals, const at::Tensor& reconstructions);

class PsnrMetric : public PerImageMetric {
 public:
  std::string name() const override { return kKeyPsnr; }
  // psnr (mean; null when +inf), psnr_count, psnr_infinite_count, psnr_finite_mean (null when none is finite).
  nlohmann::json finalize() const override;

 protected:
  at::Tensor compute(const at::Tensor& originals, const at::Tensor& reconstructions) const override {
    return psnr_per_image(originals, reconstructions);
  }
};

}  // namespace latentlab::metrics
