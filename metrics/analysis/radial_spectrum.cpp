#include "metrics/analysis/radial_spectrum.h"

#include <cmath>

#include <ATen/ATen.h>

#include "core/error.h"

namespace latentlab::metrics {
namespace {

// Normalised radius r (h, w) of every FFT frequency, float64 on `options`' device.
at::Tensor normalised_radius(int64_t h, int64_t w, const at::TensorOptions& options) {
  auto freq = [&](int64_t n) {  // numpy.fft.fftfreq(n)
    auto f = at::arange(n, options.dtype(at::kDouble));
    return at::where(f < static_cast<double>((n + 1) / 2), f, f - static_cast<double>(n)) / static_cast<double>(n);
  };
  const auto fy = freq(h).view({h, 1}), fx = freq(w).view({1, w});
  return (fy * fy + fx * fx).sqrt() / 0.5;
}

}  // namespace

RadialSpectrumAccumulator::RadialSpectrumAccumulator(int64_t bins) : bins_(bins), sum_(static_cast<size_t>(bins)) {
  LATENTLAB_ASSERT(bins >= 2, "need at least 2 bins");
}

void RadialSpectrumAccumulator::update(const at::Tensor& maps) {
  LATENTLAB_ASSERT(maps.dim() == 4 && maps.size(2) >= 2 && maps.size(3) >= 2, "maps must be (N, C, h >= 2, w >= 2)");
  const int64_t h = maps.size(2), w = maps.size(3);
  auto x = maps.to(at::kDouble);
  x = x - x.mean({2, 3}, true);
  const auto power = at::abs(at::fft_fft2(x)).pow(2).reshape({-1, h * w});  // (maps, h·w)
  const auto r = normalised_radius(h, w, x.options()).reshape({-1});
  // Bin of each frequency: ceil(r·B) − 1 for 0 < r <= 1; DC (r = 0) and corners (r > 1) get no bin.
  const auto inside = (r > 0) & (r <= 1.0 + 1e-12);
  const auto bin = (at::ceil(r * static_cast<double>(bins_) - 1e-9) - 1).clamp(0, bins_ - 1).to(at::kLong);
  auto one_hot = at::zeros({h * w, bins_}, x.options());
  one_hot.scatter_(1, bin.view({-1, 1}), 1.0);
  one_hot *= inside.to(at::kDouble).view({-1, 1});
  const auto binned = at::mm(power, one_hot);  // (maps, B)
  const auto total = binned.sum(1);
  const auto keep = total > 0;
  const auto fractions = binned.index({keep}) / total.index({keep}).view({-1, 1});
  const auto high =
      at::mm(power.index({keep}), ((r > 0.5) & inside).to(at::kDouble).view({-1, 1})).view({-1}) / total.index({keep});
  const auto sums = fractions.sum(0).to(at::kCPU).contiguous();
  for (int64_t b = 0; b < bins_; ++b) sum_[b] += sums.data_ptr<double>()[b];
  high_ += high.sum().item<double>();
  maps_ += fractions.size(0);
}

RadialSpectrum RadialSpectrumAccumulator::finalize() const {
  RadialSpectrum out;
  out.maps = maps_;
  out.energy.assign(sum_.size(), 0.0);
  if (maps_ == 0) return out;
  for (size_t b = 0; b < sum_.size(); ++b) out.energy[b] = sum_[b] / static_cast<double>(maps_);
  out.high_frequency_ratio = high_ / static_cast<double>(maps_);
  return out;
}

RadialSpectrum radial_spectrum(const at::Tensor& maps, int64_t bins) {
  RadialSpectrumAccumulator accumulator(bins);
  accumulator.update(maps);
  return accumulator.finalize();
}

nlohmann::json RadialSpectrum::to_json() const {
  std::vector<double> edges;
  for (size_t b = 0; b < energy.size(); ++b) edges.push_back(static_cast<double>(b + 1) / energy.size());
  return {{"definition",
           "per map: mean removed, |FFT|^2 binned by radius / Nyquist in (b/B, (b+1)/B], r > 1 dropped, divided by "
           "the map's total; averaged over maps"},
          {"bin_upper_edges", edges},
          {"energy", energy},
          {"high_frequency_ratio", high_frequency_ratio},
          {"maps", maps}};
}

}  // namespace latentlab::metrics
