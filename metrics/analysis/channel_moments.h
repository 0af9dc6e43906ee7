// Per-channel statistics of latents and active units (docs/analysis.md).
//
// Channel moments: channel c of latents (N, C, h, w) pools all N·h·w values (of (N, C): the N values).
// Population moments in float64, like scipy.stats with its defaults (bias=True, fisher=True):
// skewness = m3 / m2^1.5, excess kurtosis = m4 / m2² − 3.
//
// Active units (Burda, Grosse & Salakhutdinov 2016, "Importance weighted autoencoders", §5.2): unit u is
// active when A_u = Var_x(E_q(u|x)[u]) > 1e-2, the variance over the data of the posterior mean. Every latent
// coordinate (c, i, j) is a unit; the variance is the population variance (ddof 0) over the N rows.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace latentlab::metrics {

struct ChannelMoments {
  std::vector<double> mean, std, skewness, excess_kurtosis;  // one per channel; std is the population std
  int64_t values_per_channel = 0;
  nlohmann::json to_json() const;
};

// latents (N, C, h, w) or (N, C), any floating dtype, any device; reads rows in chunks of `chunk_rows`.
ChannelMoments channel_moments(const at::Tensor& latents, int64_t chunk_rows = 1024);

inline constexpr double kActiveUnitThreshold = 1e-2;  // Burda et al. 2016

struct ActiveUnits {
  double threshold = kActiveUnitThreshold;
  int64_t active = 0, units = 0;
  std::vector<int64_t> active_per_channel;  // active coordinates of each channel (of h·w)
  nlohmann::json to_json() const;
};

// posterior_mean (N, C, h, w) or (N, D) (then every column is its own channel); N >= 2.
ActiveUnits active_units(const at::Tensor& posterior_mean, double threshold = kActiveUnitThreshold);

}  // namespace latentlab::metrics
