// β-VAE score (Higgins et al. 2017), as disentanglement_lib evaluation/metrics/beta_vae.py (Apache-2.0;
// ../shared/docs/METRICS.md §11): for each point pick a factor k uniformly, draw `batch_size` pairs of factor
// vectors that share factor k (its value drawn per pair, other factors independent), feature = mean over
// pairs of |z(x1) - z(x2)| (a J-vector), label k. A multinomial logistic regression (L2, C = 1, on the raw
// features, fitted to convergence; dlib's sklearn default at the time was one-vs-rest liblinear) is trained
// on num_train points; the score is its accuracy on num_eval fresh points (train accuracy also reported).
// Study defaults: batch 64, num_train 10000, num_eval 5000. Data and encoder come in through represent()
// (factor_sampling.h). Random numbers: std::mt19937_64(seed), so values match dlib only statistically.
#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "metrics/disentanglement/factor_sampling.h"

namespace latentlab::metrics {

struct BetaVaeOptions {
  int64_t batch_size = 64;
  int64_t num_train = 10000;
  int64_t num_eval = 5000;
  uint64_t seed = 0;
  double logistic_c = 1.0;
  int64_t points_per_call = 16;  // points whose 2 x batch_size observations go to one represent() call
};

struct BetaVaeResult {
  double train_accuracy = 0.0, eval_accuracy = 0.0;
  int64_t num_codes = 0;
  std::vector<int64_t> factor_sizes;
  BetaVaeOptions options;
  nlohmann::json to_json() const;
};

BetaVaeResult compute_beta_vae_score(const std::vector<int64_t>& factor_sizes, const RepresentFn& represent,
                                     const BetaVaeOptions& options = {});

}  // namespace latentlab::metrics
