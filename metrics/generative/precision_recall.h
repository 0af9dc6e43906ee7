// k-NN manifold metrics between real features phi_1..phi_N and generated features psi_1..psi_M
// (../shared/docs/METRICS.md §7). Radius r_i = distance from phi_i to its k-th nearest other real feature.
//
//   precision = (1/M) sum_j 1[exists i: |psi_j - phi_i| <= r_i]            k = 3  (Kynkäänniemi et al. 2019,
//   recall    = (1/N) sum_i 1[exists j: |phi_i - psi_j| <= r'_j]           k = 3   radii r' from generated)
//   density   = (1/(k M)) sum_j sum_i 1[|psi_j - phi_i| <= r_i]            k = 5  (Naeem et al. 2020, prdc)
//   coverage  = (1/N) sum_i 1[min_j |psi_j - phi_i| <= r_i]                k = 5
//
// Precision/recall follow openai/guided-diffusion evaluations/evaluator.py (ManifoldEstimator with
// nhood_sizes (3,), DistanceBlock.less_thans: `<=` on squared distances; MIT licence) and density/coverage
// clovaai/generative-evaluation-prdc prdc/prdc.py (MIT), which uses strict `<`; `strict` selects it, the
// toolkit default is `<=` for all four. Distances are blocked (metrics/generative/pairwise_distances.h), so
// memory does not grow with N x M; results do not depend on the block size (tested).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "metrics/generative/pairwise_distances.h"
#include "metrics/metric.h"

namespace latentlab::metrics {

inline constexpr const char* kKeyPrecision = "precision";
inline constexpr const char* kKeyRecall = "recall";
inline constexpr const char* kKeyDensity = "density";
inline constexpr const char* kKeyCoverage = "coverage";

struct ManifoldOptions {
  int64_t pr_k = 3;     // neighbourhood size for precision and recall
  int64_t dc_k = 5;     // neighbourhood size for density and coverage
  bool strict = false;  // membership d < r (prdc) instead of d <= r
  DistanceOptions distance;
  nlohmann::json to_json() const;
};

struct ManifoldResult {
  double precision = 0, recall = 0, density = 0, coverage = 0;
};

// real: (N, D), fake: (M, D) floating, same device; N, M > max(pr_k, dc_k) (else UserError).
ManifoldResult manifold_metrics(const at::Tensor& real, const at::Tensor& fake, const ManifoldOptions& options = {});

// Holds the real (reference) features, streams the generated ones; finalize() gives
// {precision, recall, density, coverage, count, reference_count, options}.
class ManifoldMetric : public Metric {
 public:
  ManifoldMetric(at::Tensor reference, ManifoldOptions options = {});
  std::string name() const override { return "pr"; }
  void update(const at::Tensor& features) override;
  void merge(const Metric& other) override;
  nlohmann::json finalize() const override;

 private:
  at::Tensor reference_;
  ManifoldOptions options_;
  std::vector<at::Tensor> batches_;
};

}  // namespace latentlab::metrics
