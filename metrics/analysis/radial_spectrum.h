// Radial power spectrum of latent channels or image channels (docs/analysis.md; METRICS.md §13
// "spectral profile", after arXiv 2502.14831).
//
// For every (example, channel) map of size h × w: subtract its mean (the DC term would dominate), take the
// 2-D FFT, power P = |F|². Frequency (f_y, f_x) in cycles per sample lies in [−1/2, 1/2); its normalised
// radius is r = √(f_x² + f_y²) / (1/2), so r = 1 is the Nyquist frequency whatever the map size. Bin b of
// B covers r ∈ ((b)/B, (b+1)/B] (bin 0 starts just above DC); corner frequencies with r > 1 lie outside the
// Nyquist circle and are left out, so every map contributes over the same disc. Each map's binned power is
// divided by its total power in 0 < r ≤ 1 (energy fractions summing to 1), then averaged over channels and
// examples. A map with no power (constant) is skipped. High-frequency ratio = the energy fraction at
// r > 1/2 (above half Nyquist).
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace latentlab::metrics {

inline constexpr int64_t kSpectrumBins = 16;

struct RadialSpectrum {
  std::vector<double> energy;  // B energy fractions (sum 1)
  double high_frequency_ratio = 0.0;
  int64_t maps = 0;                // maps averaged (constant maps skipped)
  nlohmann::json to_json() const;  // bins with their upper edges
};

// Sums the spectra of maps (N, C, h, w), any dtype/device, into an accumulator; h, w >= 2.
class RadialSpectrumAccumulator {
 public:
  explicit RadialSpectrumAccumulator(int64_t bins = kSpectrumBins);
  void update(const at::Tensor& maps);
  RadialSpectrum finalize() const;

 private:
  int64_t bins_;
  std::vector<double> sum_;
  double high_ = 0.0;
  int64_t maps_ = 0;
};

RadialSpectrum radial_spectrum(const at::Tensor& maps, int64_t bins = kSpectrumBins);

}  // namespace latentlab::metrics
