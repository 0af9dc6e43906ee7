#include "metrics/disentanglement/modularity.h"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>

#include "core/error.h"
#include "metrics/disentanglement/codes.h"
#include "metrics/disentanglement/mutual_info.h"
#include "metrics/probes/classification_scores.h"
#include "metrics/probes/logistic_regression.h"
#include "metrics/probes/standardize.h"

namespace latentlab::metrics {
namespace {

// Macro ROC-AUC over the classes with both positives and negatives among `ids` (-1: unseen class).
double macro_auc(const at::Tensor& probabilities, const std::vector<int32_t>& ids) {
  const auto p = probabilities.contiguous();
  const int64_t n = p.size(0), c = p.size(1);
  double sum = 0;
  int counted = 0;
  for (int64_t k = 0; k < c; ++k) {
    std::vector<double> score(n);
    std::vector<uint8_t> truth(n);
    const double* data = p.data_ptr<double>();
    for (int64_t i = 0; i < n; ++i) {
      score[i] = data[i * c + k];
      truth[i] = ids[i] == k;
    }
    const double auc = roc_auc(score, truth);
    if (!std::isnan(auc)) sum += auc, ++counted;
  }
  return counted ? sum / counted : 0.0;
}

}  // namespace

double modularity_from_mutual_info(const std::vector<std::vector<double>>& mutual_info, std::vector<double>* per_code) {
  LATENTLAB_ASSERT(!mutual_info.empty() && !mutual_info[0].empty(), "empty MI matrix");
  double total = 0;
  if (per_code) per_code->clear();
  for (const auto& row : mutual_info) {
    double sum = 0, theta = 0;
    for (double m : row) {
      sum += m * m;
      theta = std::max(theta, m * m);
    }
    double score = 0.0;
    if (theta != 0.0) score = row.size() > 1 ? 1.0 - (sum - theta) / (theta * (row.size() - 1.0)) : 1.0;
    if (per_code) per_code->push_back(score);
    total += score;
  }
  return total / mutual_info.size();
}

ModularityResult compute_modularity_explicitness(const at::Tensor& codes_train, const at::Tensor& factors_train,
                                                 const at::Tensor& codes_test, const at::Tensor& factors_test,
                                                 const ModularityOptions& options) {
  if (options.bins < 1) fail_usage("bins", "must be at least 1, got {}", options.bins);
  const auto split = train_test_codes(codes_train, factors_train, codes_test, factors_test);
  const auto &z_train = split.z_train, &z_test = split.z_test;
  const auto &f_train = split.f_train, &f_test = split.f_test;

  ModularityResult r;
  r.options = options;
  r.num_train = z_train.size(0);
  r.num_test = z_test.size(0);
  std::vector<DenseLabels> labels;
  std::vector<std::vector<int32_t>> ids;
  for (const auto& f : f_train) {
    labels.push_back(dense_labels(f));
    ids.push_back(labels.back().ids);
  }
  r.mutual_info = discretized_mutual_info_matrix(z_train, ids, options.bins);
  r.modularity = modularity_from_mutual_info(r.mutual_info, &r.per_code_modularity);

  const auto scaler = fit_standardizer(z_train);
  const auto x_train = scaler.apply(z_train), x_test = scaler.apply(z_test);
  double train_sum = 0, test_sum = 0;
  for (size_t k = 0; k < f_train.size(); ++k) {
    if (labels[k].num_classes() < 2) {  // nothing to explain; dlib's LogisticRegression would refuse it
      r.per_factor_explicitness_test.push_back(0.0);
      continue;
    }
    const auto y = at::tensor(std::vector<int64_t>(ids[k].begin(), ids[k].end()), at::kLong);
    const auto model = fit_multinomial_logistic(x_train, y, labels[k].num_classes(), options.logistic_c);
    train_sum += macro_auc(model.probabilities(x_train), ids[k]);
    const double test = macro_auc(model.probabilities(x_test), map_labels(f_test[k], labels[k].classes));
    r.per_factor_explicitness_test.push_back(test);
    test_sum += test;
  }
  r.explicitness_train = train_sum / f_train.size();
  r.explicitness_test = test_sum / f_train.size();
  return r;
}

nlohmann::json ModularityResult::to_json() const {
  return {{"modularity", modularity},
          {"explicitness_train", explicitness_train},
          {"explicitness_test", explicitness_test},
          {"per_code_modularity", per_code_modularity},
          {"per_factor_explicitness_test", per_factor_explicitness_test},
          {"mutual_info", mutual_info},
          {"protocol",
           {{"definition", "modularity and explicitness, disentanglement_lib"},
            {"bins", options.bins},
            {"explicitness_classifier", "multinomial logistic regression, L2, converged L-BFGS"},
            {"logistic_c", options.logistic_c},
            {"num_train", num_train},
            {"num_test", num_test}}}};
}

}  // namespace latentlab::metrics
