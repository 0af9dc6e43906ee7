// FID (and sFID, FD-DINOv2: the same formula on other features) as a streaming Metric: float64 running
// moments of the evaluated features (lib/stats/running_moments.h, exact merge across batches and shards)
// against fixed reference statistics (from a pytorch-fid / ADM / latentlab statistics file,
// lib/stats/statistics_file.h). The distance itself is metrics/generative/frechet.h.
#pragma once

#include <string>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "metrics/metric.h"
#include "stats/running_moments.h"

namespace latentlab::metrics {

inline constexpr const char* kKeyFrechetDistance = "frechet_distance";

class FrechetMetric : public Metric {
 public:
  // reference_mu: (D), reference_sigma: (D, D), any floating dtype (float64 used).
  FrechetMetric(at::Tensor reference_mu, at::Tensor reference_sigma, std::string name = "fid");
  std::string name() const override { return name_; }
  void update(const at::Tensor& features) override;  // (B, D)
  void merge(const Metric& other) override;
  // {frechet_distance, count}; needs >= 2 features.
  nlohmann::json finalize() const override;
  // The evaluated set's moments, e.g. to save them as a statistics file.
  const stats::RunningMoments& moments() const { return moments_; }

 private:
  std::string name_;
  at::Tensor mu_, sigma_;
  stats::RunningMoments moments_;
};

}  // namespace latentlab::metrics
