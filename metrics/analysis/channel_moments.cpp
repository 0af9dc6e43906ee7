#include "metrics/analysis/channel_moments.h"

#include <cmath>

#include <ATen/ATen.h>

#include "core/error.h"

namespace latentlab::metrics {
namespace {

// (rows, C, values) float64 view of rows [begin, end).
at::Tensor channel_rows(const at::Tensor& latents, int64_t begin, int64_t end) {
  const auto part = latents.slice(0, begin, end).to(at::kDouble);
  return part.reshape({part.size(0), part.size(1), -1});
}

std::vector<double> to_vector(const at::Tensor& t) {
  const auto c = t.to(at::kCPU).to(at::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

}  // namespace

ChannelMoments channel_moments(const at::Tensor& latents, int64_t chunk_rows) {
  LATENTLAB_ASSERT(latents.dim() == 4 || latents.dim() == 2, "latents must be (N, C, h, w) or (N, C)");
  const int64_t n = latents.size(0), channels = latents.size(1);
  const int64_t count = latents.numel() / channels;
  LATENTLAB_ASSERT(count > 0, "no values");
  // Two passes (mean, then central moments) keep the float64 sums free of cancellation.
  auto sum = at::zeros({channels}, latents.options().dtype(at::kDouble));
  for (int64_t b = 0; b < n; b += chunk_rows)
    sum += channel_rows(latents, b, std::min(n, b + chunk_rows)).sum(at::IntArrayRef{0, 2});
  const auto mean = sum / static_cast<double>(count);
  auto m2 = at::zeros_like(sum), m3 = at::zeros_like(sum), m4 = at::zeros_like(sum);
  for (int64_t b = 0; b < n; b += chunk_rows) {
    const auto d = channel_rows(latents, b, std::min(n, b + chunk_rows)) - mean.view({1, -1, 1});
    const auto d2 = d * d;
    m2 += d2.sum(at::IntArrayRef{0, 2});
    m3 += (d2 * d).sum(at::IntArrayRef{0, 2});
    m4 += (d2 * d2).sum(at::IntArrayRef{0, 2});
  }
  m2 /= static_cast<double>(count), m3 /= static_cast<double>(count), m4 /= static_cast<double>(count);
  ChannelMoments out;
  out.values_per_channel = count;
  out.mean = to_vector(mean);
  out.std = to_vector(m2.sqrt());
  // A constant channel has no shape: NaN, as scipy gives.
  out.skewness = to_vector(m3 / m2.pow(1.5));
  out.excess_kurtosis = to_vector(m4 / (m2 * m2) - 3.0);
  return out;
}

nlohmann::json ChannelMoments::to_json() const {
  auto finite = [](const std::vector<double>& v) {
    nlohmann::json j = nlohmann::json::array();
    for (double x : v) j.push_back(std::isfinite(x) ? nlohmann::json(x) : nlohmann::json());
    return j;
  };
  return {{"definition", "population moments over N·h·w values per channel; excess kurtosis (normal = 0)"},
          {"values_per_channel", values_per_channel},
          {"mean", finite(mean)},
          {"std", finite(std)},
          {"skewness", finite(skewness)},
          {"excess_kurtosis", finite(excess_kurtosis)}};
}

ActiveUnits active_units(const at::Tensor& posterior_mean, double threshold) {
  LATENTLAB_ASSERT(posterior_mean.dim() == 4 || posterior_mean.dim() == 2, "latents must be (N, C, h, w) or (N, D)");
  LATENTLAB_ASSERT(posterior_mean.size(0) >= 2, "active units need at least 2 rows");
  const auto x = posterior_mean.to(at::kDouble);
  const auto variance = x.var(0, /*unbiased=*/false);  // (C, h, w) or (D)
  const auto active = (variance > threshold).reshape({posterior_mean.size(1), -1});
  ActiveUnits out;
  out.threshold = threshold;
  out.units = variance.numel();
  out.active = active.sum().item<int64_t>();
  const auto per_channel = active.sum(1).to(at::kCPU).to(at::kLong).contiguous();
  out.active_per_channel.assign(per_channel.data_ptr<int64_t>(), per_channel.data_ptr<int64_t>() + per_channel.numel());
  return out;
}

nlohmann::json ActiveUnits::to_json() const {
  return {{"definition", "units with Var_x(posterior mean) > threshold (Burda et al. 2016), population variance"},
          {"threshold", threshold},
          {"active", active},
          {"units", units},
          {"fraction", units > 0 ? static_cast<double>(active) / static_cast<double>(units) : 0.0},
          {"active_per_channel", active_per_channel}};
}

}  // namespace latentlab::metrics
