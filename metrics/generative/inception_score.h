// Inception Score (Salimans et al. 2016, "Improved Techniques for Training GANs"):
//
//   p(y|x) = softmax(logits(x)) over all C classes,   IS_k = exp( mean_{i in split k} KL(p(y|x_i) || p_k) ),
//   p_k = mean of p(y|x_i) over split k;   reported: mean and population std of IS_k over the splits.
//
// The logits are Inception-v3's unbiased 1008-way logits (pool3 . W without the fc bias: ADM's
// softmax/logits/MatMul, torch-fidelity's logits_unbiased); the softmax runs over all 1008 outputs, the
// 8 unused classes included, as every anchor does (../shared/docs/METRICS.md §2, §5). Computed with
// log-softmax in float64.
//
// Split protocols (METRICS.md §5), chosen explicitly:
//   torch-fidelity (toolkit default for CIFAR-style numbers): rows shuffled with numpy
//     RandomState(2020).permutation(N), then 10 splits, split k = rows [k N / S, (k + 1) N / S).
//     Port of torch_fidelity/metric_isc.py (isc_features_to_metric), Apache-2.0.
//   ADM (ImageNet tables): no shuffle, consecutive splits of 5000 rows (the last may be shorter); ADM reports
//     the mean only. Port of openai/guided-diffusion evaluations/evaluator.py compute_inception_score, MIT.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "metrics/metric.h"

namespace latentlab::metrics {

inline constexpr const char* kKeyIsMean = "inception_score_mean";
inline constexpr const char* kKeyIsStd = "inception_score_std";
inline constexpr const char* kKeyIsSplits = "inception_score_splits";

struct InceptionScoreOptions {
  int64_t splits = 10;     // number of splits (torch-fidelity); ignored when split_size > 0
  int64_t split_size = 0;  // rows per split (ADM: 5000); 0 = use `splits`
  bool shuffle = true;     // permute rows with numpy RandomState(seed) before splitting
  uint32_t seed = 2020;

  static InceptionScoreOptions torch_fidelity() { return {}; }
  static InceptionScoreOptions adm() { return {10, 5000, false, 2020}; }
  nlohmann::json to_json() const;
};

struct InceptionScore {
  double mean = 0;
  double std = 0;  // population std over the splits (numpy.std)
  std::vector<double> split_scores;
};

// logits: (N, C) floating, any device (float64 on that device). Throws UserError when N < number of splits
// or C < 2.
InceptionScore inception_score(const at::Tensor& logits, const InceptionScoreOptions& options = {});

// Streams logits; finalize() gives {inception_score_mean, inception_score_std, inception_score_splits,
// count, options}.
class InceptionScoreMetric : public Metric {
 public:
  explicit InceptionScoreMetric(InceptionScoreOptions options = {}) : options_(options) {}
  std::string name() const override { return "is"; }
  void update(const at::Tensor& logits) override;  // (B, C)
  void merge(const Metric& other) override;
  nlohmann::json finalize() const override;

 private:
  InceptionScoreOptions options_;
  std::vector<at::Tensor> batches_;
};

}  // namespace latentlab::metrics
