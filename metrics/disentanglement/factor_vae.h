// FactorVAE score (Kim & Mnih 2018), as disentanglement_lib evaluation/metrics/factor_vae.py (Apache-2.0;
// ../shared/docs/METRICS.md §11):
//   s2_j = unbiased variance of code j over num_variance_estimate random observations (stats::RunningMoments);
//   active codes: sqrt(s2_j) >= prune_threshold (study 0.05, dlib's code default 0) and s2_j > 0 (a constant
//   code would give 0/0; dlib then votes for the first such code). None active: every score 0.
//   vote: pick factor k uniformly, draw batch_size factor vectors, set factor k of every row to row 0's
//   value, d* = argmin over active j of var_j / s2_j (unbiased local variance, first minimum), V[k, d*] += 1.
//   majority classifier: class of code d = argmax_k V_train[k, d] (first maximum);
//   train accuracy = sum_d max_k V_train / sum V_train; eval accuracy = sum_d V_eval[class(d), d] / sum V_eval.
// dlib's quirk: d* indexes the *pruned* vector of active codes but is used as a column of the full (K, J)
// vote matrix, so once a code is pruned votes land on the wrong codes (and `num_active_dims` reports the mask
// length J). Default here: fixed (d* mapped back to its code; num_active_dims counts active codes).
// `dlib_index_quirk = true` reproduces dlib exactly. Study defaults: batch 64, num_train 10000, num_eval
// 5000, num_variance_estimate 10000, prune threshold 0.05.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics/disentanglement/factor_sampling.h"

namespace latentlab::metrics {

struct FactorVaeOptions {
  int64_t batch_size = 64;
  int64_t num_train = 10000;
  int64_t num_eval = 5000;
  int64_t num_variance_estimate = 10000;
  double prune_threshold = 0.05;
  bool dlib_index_quirk = false;
  uint64_t seed = 0;
  int64_t points_per_call = 16;
};

struct FactorVaeResult {
  double train_accuracy = 0.0, eval_accuracy = 0.0;
  int64_t num_active_dims = 0;
  int64_t num_codes = 0;
  std::vector<double> global_variance;                        // (J)
  std::vector<std::vector<int64_t>> train_votes, eval_votes;  // (K, J)
  std::vector<int64_t> factor_sizes;
  FactorVaeOptions options;
  nlohmann::json to_json() const;
};

FactorVaeResult compute_factor_vae_score(const std::vector<int64_t>& factor_sizes, const RepresentFn& represent,
                                         const FactorVaeOptions& options = {});

// The pure part: accuracies of the majority-vote classifier (train votes define it).
std::pair<double, double> factor_vae_accuracies(const std::vector<std::vector<int64_t>>& train_votes,
                                                const std::vector<std::vector<int64_t>>& eval_votes);

}  // namespace latentlab::metrics
