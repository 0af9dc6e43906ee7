#include "store/channel_stats.h"

#include <cmath>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace latentlab::store {

std::vector<double> to_vector(const at::Tensor& float64_1d) {
  const at::Tensor t = float64_1d.to(at::kDouble).contiguous();
  return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
}

namespace {

at::Tensor to_tensor(const std::vector<double>& v) {
  return at::from_blob(const_cast<double*>(v.data()), {static_cast<int64_t>(v.size())}, at::kDouble).clone();
}

}  // namespace

ChannelStatistics::ChannelStatistics(int64_t channels) : mean_(channels, false), variance_(channels, false) {}

namespace {

// Count, mean and centred second moment of channel c of x (n, C, h, w) float32, squared first if `square`:
// two passes in float64 over the values in memory order (no temporaries: a batch is ~10^7 values).
void channel_moments(const float* x, int64_t n, int64_t c, int64_t channels, int64_t plane, bool square, double* mean,
                     double* m2) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* p = x + (i * channels + c) * plane;
    for (int64_t k = 0; k < plane; ++k) sum += square ? static_cast<double>(p[k]) * p[k] : p[k];
  }
  const double m = sum / static_cast<double>(n * plane);
  double s = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* p = x + (i * channels + c) * plane;
    for (int64_t k = 0; k < plane; ++k) {
      const double d = (square ? static_cast<double>(p[k]) * p[k] : p[k]) - m;
      s += d * d;
    }
  }
  *mean = m, *m2 = s;
}

}  // namespace

void ChannelStatistics::update(const at::Tensor& mean, const at::Tensor& std) {
  LATENTLAB_ASSERT(mean.dim() == 4 && mean.size(1) == channels() && std.sizes() == mean.sizes(),
                   "statistics of a batch of another shape");
  const int64_t n = mean.size(0), c = channels(), plane = mean.size(2) * mean.size(3);
  if (n == 0) return;
  const at::Tensor m = mean.to(at::kCPU).to(at::kFloat).contiguous(), s = std.to(at::kCPU).to(at::kFloat).contiguous();
  std::vector<double> mm(c), mm2(c), vm(c), vm2(c);
  for (int64_t k = 0; k < c; ++k) {
    channel_moments(m.data_ptr<float>(), n, k, c, plane, false, &mm[k], &mm2[k]);
    channel_moments(s.data_ptr<float>(), n, k, c, plane, true, &vm[k], &vm2[k]);
  }
  mean_.merge(stats::RunningMoments::from_parts(n * plane, to_tensor(mm), to_tensor(mm2)));
  variance_.merge(stats::RunningMoments::from_parts(n * plane, to_tensor(vm), to_tensor(vm2)));
}

void ChannelStatistics::merge(const ChannelStatistics& other) {
  mean_.merge(other.mean_);
  variance_.merge(other.variance_);
}

std::vector<double> ChannelStatistics::channel_mean() const {
  return to_vector(mean_.mean());
}

std::vector<double> ChannelStatistics::channel_std() const {
  std::vector<double> out(static_cast<size_t>(channels()), 0.0);
  if (count() < 2) return out;
  const auto var_of_mean = to_vector(mean_.variance());
  const auto mean_of_var = to_vector(variance_.mean());
  for (size_t c = 0; c < out.size(); ++c) out[c] = std::sqrt(var_of_mean[c] + mean_of_var[c]);
  return out;
}

nlohmann::json ChannelStatistics::to_json() const {
  // nlohmann writes doubles with round-trip precision, so from_json restores every bit.
  return {{"count", count()},
          {"mean_mean", to_vector(mean_.mean())},
          {"mean_m2", to_vector(mean_.m2())},
          {"var_mean", to_vector(variance_.mean())},
          {"var_m2", to_vector(variance_.m2())}};
}

ChannelStatistics ChannelStatistics::from_parts(int64_t count, const std::vector<double>& mean_mean,
                                                const std::vector<double>& mean_m2, const std::vector<double>& var_mean,
                                                const std::vector<double>& var_m2, const std::string& subject) {
  const size_t c = mean_mean.size();
  if (c == 0 || mean_m2.size() != c || var_mean.size() != c || var_m2.size() != c || count < 0)
    fail(subject, "malformed channel statistics ({} channels, count {})", c, count);
  ChannelStatistics out(static_cast<int64_t>(c));
  out.mean_ = stats::RunningMoments::from_parts(count, to_tensor(mean_mean), to_tensor(mean_m2));
  out.variance_ = stats::RunningMoments::from_parts(count, to_tensor(var_mean), to_tensor(var_m2));
  return out;
}

ChannelStatistics ChannelStatistics::from_json(const nlohmann::json& j, int64_t channels, const std::string& subject) {
  try {
    auto out = from_parts(j.at("count").get<int64_t>(), j.at("mean_mean").get<std::vector<double>>(),
                          j.at("mean_m2").get<std::vector<double>>(), j.at("var_mean").get<std::vector<double>>(),
                          j.at("var_m2").get<std::vector<double>>(), subject);
    if (out.channels() != channels)
      fail(subject, "statistics have {} channels, the store {}", out.channels(), channels);
    return out;
  } catch (const nlohmann::json::exception& e) {
    fail(subject, "malformed channel statistics: {}", e.what());
  }
}

}  // namespace latentlab::store
