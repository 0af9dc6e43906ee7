// SSIM (Wang, Bovik, Sheikh & Simoncelli 2004) of uint8 image pairs, with the protocol of docs/METRICS.md §9
// and the VAE papers' evaluate scripts:
//   - Gaussian window 11×11, σ 1.5, normalised to sum 1 (separable: 11 taps per axis);
//   - K1 0.01, K2 0.03, data range 255: C1 = (K1·255)², C2 = (K2·255)²;
//   - population (not sample) variances and covariance: E[x²] − μx², E[xy] − μx·μy under the window;
//   - SSIM map over "valid" positions only (no padding: the map is (H − 10)×(W − 10)), averaged per channel,
//     then over the 3 channels, then over images.
// "Valid" is what pytorch-msssim computes (conv without padding) and what skimage's structural_similarity
// (gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255; truncate 3.5 gives the
// 11-tap window) computes: it filters with reflect padding but crops the 5-pixel border before the mean, so
// every kept position's window lies inside the image. torchmetrics likewise crops its padding. MATLAB's
// `ssim` downsamples first and is not this. Computed in float64. Images must be at least 11×11.
#pragma once

#include "metrics/reconstruction/paired_metric.h"

namespace latentlab::metrics {

inline constexpr const char* kKeySsim = "ssim";

struct SsimOptions {
  int window = 11;
  double sigma = 1.5;
  double k1 = 0.01, k2 = 0.03;
  double data_range = 255.0;
  nlohmann::json to_json() const;
};

// originals, reconstructions: uint8 (N, 3, H, W), H, W ≥ window -> (N) float64 CPU. UserError ("ssim") for
// images smaller than the window.
at::Tensor ssim_per_image(const at::Tensor& originals, const at::Tensor& reconstructions,
                          const SsimOptions& options = {});

class SsimMetric : public PerImageMetric {
 public:
  explicit SsimMetric(SsimOptions options = {}) : options_(options) {}
  std::string name() const override { return kKeySsim; }
  nlohmann::json finalize() const override { return mean_json(); }  // ssim, ssim_count

 protected:
  at::Tensor compute(const at::Tensor& originals, const at::Tensor& reconstructions) const override {
    return ssim_per_image(originals, reconstructions, options_);
  }
  nlohmann::json options() const override { return options_.to_json(); }

 private:
  SsimOptions options_;
};

}  // namespace latentlab::metrics
