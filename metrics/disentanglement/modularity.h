// Modularity and explicitness (Ridgeway & Mozer 2018), as disentanglement_lib
// evaluation/metrics/modularity_explicitness.py (Apache-2.0; ../shared/docs/METRICS.md §11):
//   modularity: M = MI(histogram-discretised codes (20 bins); factors) on the training set (mutual_info.h);
//     theta_j = max_k M_jk^2; delta_j = (sum_k M_jk^2 - theta_j) / (theta_j (K - 1)); modularity_j = 1 - delta_j
//     (0 when theta_j = 0); score = mean_j.
//   explicitness: codes standardised with training mean/std (ddof 0; constant codes keep scale 1, where dlib
//     divides by zero); per factor a logistic regression on all codes (sklearn LogisticRegression() with
//     today's defaults: L2, C = 1, multinomial, fitted here to convergence — dlib's sklearn 0.2x used
//     one-vs-rest liblinear); ROC-AUC of the predicted class probabilities against one-hot labels, macro over
//     the classes present in that split (both positives and negatives); score = mean over factors.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace latentlab::metrics {

struct ModularityOptions {
  int bins = 20;
  double logistic_c = 1.0;
};

struct ModularityResult {
  double modularity = 0.0;
  double explicitness_train = 0.0, explicitness_test = 0.0;
  std::vector<double> per_code_modularity;
  std::vector<double> per_factor_explicitness_test;
  std::vector<std::vector<double>> mutual_info;  // (J, K)
  int64_t num_train = 0, num_test = 0;
  ModularityOptions options;
  nlohmann::json to_json() const;
};

ModularityResult compute_modularity_explicitness(const at::Tensor& codes_train, const at::Tensor& factors_train,
                                                 const at::Tensor& codes_test, const at::Tensor& factors_test,
                                                 const ModularityOptions& options = {});

// The pure part: modularity of an MI matrix (J rows of K values).
double modularity_from_mutual_info(const std::vector<std::vector<double>>& mutual_info,
                                   std::vector<double>* per_code = nullptr);

}  // namespace latentlab::metrics
