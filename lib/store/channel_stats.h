// Per-channel statistics of the latents in a store, accumulated in float64 in the same pass that writes
// the rows and merged exactly across batches and shards (Chan et al.; stats::RunningMoments).
//
// Over every value of channel c (all rows, all h x w positions), two accumulators:
//   - the posterior mean m:          count, mean E[m_c] and centred second moment M2 of m_c;
//   - the posterior variance s^2:    count, mean E[s_c^2] (and its M2, kept so the accumulator is whole).
// From them: channel_mean = E[m_c]; channel_std = sqrt(M2/(count-1) + E[s_c^2]), the standard deviation of
// the sampled latent z = m + s * eps (law of total variance, N - 1 denominator as everywhere in latentlab).
// The values accumulated are the stored ones (after the float16 rounding of a float16 store), so
// `store verify` recomputes the same numbers from the file.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json_fwd.hpp>

#include "stats/running_moments.h"

namespace latentlab::store {

class ChannelStatistics {
 public:
  explicit ChannelStatistics(int64_t channels);

  // mean, std: (n, C, h, w) floating, CPU.
  void update(const at::Tensor& mean, const at::Tensor& std);
  void merge(const ChannelStatistics& other);

  int64_t channels() const { return mean_.dim(); }
  int64_t count() const { return mean_.count(); }  // values per channel: rows x h x w
  std::vector<double> channel_mean() const;        // (C); zeros while empty
  std::vector<double> channel_std() const;         // (C); zeros while count < 2

  const stats::RunningMoments& mean_moments() const { return mean_; }
  const stats::RunningMoments& variance_moments() const { return variance_; }

  // Exact (bit-preserving) serialisation: {count, mean_mean, mean_m2, var_mean, var_m2}.
  nlohmann::json to_json() const;
  // Throws UserError naming `subject` when malformed or of another channel count.
  static ChannelStatistics from_json(const nlohmann::json& j, int64_t channels, const std::string& subject);
  static ChannelStatistics from_parts(int64_t count, const std::vector<double>& mean_mean,
                                      const std::vector<double>& mean_m2, const std::vector<double>& var_mean,
                                      const std::vector<double>& var_m2, const std::string& subject);

 private:
  stats::RunningMoments mean_;
  stats::RunningMoments variance_;
};

std::vector<double> to_vector(const at::Tensor& float64_1d);

}  // namespace latentlab::store
