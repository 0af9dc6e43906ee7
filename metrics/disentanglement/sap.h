// SAP, the Separated Attribute Predictability score (Kumar et al. 2018), as disentanglement_lib
// evaluation/metrics/sap_score.py (Apache-2.0; ../shared/docs/METRICS.md §11):
//   S_jk = predictability of factor k from the single code j,
//     discrete factors (dlib default): test accuracy of sklearn LinearSVC(C = 0.01, class_weight "balanced")
//       trained on (z_j, v_k) — one-vs-rest squared-hinge SVMs with the intercept penalised like a weight
//       (liblinear, intercept_scaling 1); as liblinear, the positive class of each one-vs-rest problem is
//       weighted by n / (classes * count) and the rest by 1 (two classes: each by its own weight);
//     continuous factors: Cov(z_j, v_k)^2 / (Var z_j Var v_k) on the training set (0 when Var z_j <= 1e-12).
//   SAP = mean_k (S_(1)k - S_(2)k) over the two largest entries of column k.
// Each 1-D SVM is a strictly convex problem in two unknowns (w, b), solved here exactly by generalised
// Newton steps; liblinear stops at its tolerance (1e-4), so a test point lying within that tolerance of a
// decision threshold may be classified differently (tests compare with sklearn run to convergence).
// With many-class factors a scalar linear SVM cannot isolate middle classes: even perfect codes score << 1.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace latentlab::metrics {

struct SapOptions {
  bool continuous_factors = false;
  double svm_c = 0.01;
};

struct SapResult {
  double sap = 0.0;
  std::vector<std::vector<double>> score_matrix;  // (J, K)
  int64_t num_train = 0, num_test = 0;
  SapOptions options;
  nlohmann::json to_json() const;
};

SapResult compute_sap(const at::Tensor& codes_train, const at::Tensor& factors_train, const at::Tensor& codes_test,
                      const at::Tensor& factors_test, const SapOptions& options = {});

// mean_k of (largest - second largest) entry of column k (a single row: the largest).
double sap_from_score_matrix(const std::vector<std::vector<double>>& scores);

// One-vs-rest LinearSVC on a scalar feature, as described above. Returns the (w, b) pair per class
// (one pair for two classes: positive = class 0, as liblinear's first label). labels: dense ids.
struct ScalarSvm {
  std::vector<double> w, b;
  int32_t num_classes = 0;
  int32_t predict(double x) const;
};
ScalarSvm fit_scalar_svm(const std::vector<double>& x, const std::vector<int32_t>& labels, int32_t num_classes,
                         double c);

}  // namespace latentlab::metrics
