// DCI: disentanglement, completeness, informativeness (Eastwood & Williams 2018), with the aggregation of
// disentanglement_lib evaluation/metrics/dci.py (Apache-2.0; ../shared/docs/METRICS.md §11):
//   R (J x K) importance of code j for factor k (non-negative);
//   D_j = 1 - H_K(R_j. / sum_k R_jk)  (scipy.stats.entropy of R + 1e-11, log base K);  rho_j = sum_k R_jk / sum R;
//   D = sum_j rho_j D_j  (all-zero R: rho from a matrix of ones);
//   C_k = 1 - H_J(R_.k / sum_j R_jk)  (log base J);  C = sum_k (sum_j R_jk / sum R) C_k.
// Importances (DCI values are NOT comparable across importance types; the result says which one):
//   - "lasso" (default here): the original authors' linear variant (cianeastwood/qedr): codes standardised
//     with training mean/std, each factor's dense class ids standardised likewise, R_jk = |w_jk| of
//     sklearn-style Lasso(alpha) (lasso.h, alpha 0.02). Informativeness = NRMSE of the Lasso prediction,
//     sqrt(mean (y_hat - y)^2) in units of the factor's training standard deviation (lower is better).
//   - "gbt": dlib's default, one gradient-boosted tree classifier per factor on the raw codes (dci_gbt.h,
//     gbt.h: sklearn GradientBoostingClassifier() defaults); R_jk = its feature importances;
//     informativeness = its accuracy (higher is better).
// With a single factor (base-1 entropy undefined) D_j = 1; with a single code C_k = 1.
#pragma once

#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "metrics/disentanglement/gbt.h"

namespace latentlab::metrics {

struct DciOptions {
  std::string importance = "lasso";  // lasso | gbt
  double lasso_alpha = 0.02;
  GbtOptions gbt;
};

struct DciResult {
  double disentanglement = 0.0;
  double completeness = 0.0;
  double informativeness_train = 0.0;  // mean over factors
  double informativeness_test = 0.0;
  std::string informativeness_measure;          // "nrmse" (lower is better) or "accuracy" (gbt)
  std::vector<std::vector<double>> importance;  // (J, K)
  std::vector<double> per_code_disentanglement;
  std::vector<double> per_factor_completeness;
  std::vector<double> per_factor_informativeness_test;
  int64_t num_train = 0, num_test = 0;
  DciOptions options;
  nlohmann::json to_json() const;
};

// codes/factors as in codes.h; train and test must have the same J and K.
DciResult compute_dci(const at::Tensor& codes_train, const at::Tensor& factors_train, const at::Tensor& codes_test,
                      const at::Tensor& factors_test, const DciOptions& options = {});

// The pure aggregations, from an importance matrix (J rows of K non-negative values).
double dci_disentanglement(const std::vector<std::vector<double>>& importance, std::vector<double>* per_code = nullptr);
double dci_completeness(const std::vector<std::vector<double>>& importance, std::vector<double>* per_factor = nullptr);

}  // namespace latentlab::metrics
