// Linear probes on frozen features (../shared/docs/METRICS.md §12; issue 6):
//   - class labels: one multinomial logistic regression (logistic_regression.h);
//   - multi-label attributes: independent logistic heads, one per attribute.
// Protocol (every choice is recorded in to_json()):
//   1. features standardised with the training split's mean and std (ddof 0, StandardScaler);
//   2. L2 strength C chosen by k-fold cross-validation (KFold, shuffled with `seed`; standardisation refitted
//      inside each fold) on a log grid (default np.logspace(-4, 4, 10), sklearn LogisticRegressionCV's Cs=10),
//      scored by fold accuracy, the smallest C on ties (LogisticRegressionCV's argmax); attributes choose a C
//      per head. `fixed_c > 0` skips the search.
//   3. refit on the whole training split at the chosen C; score on the test split.
// Attribute thresholds: F1 at 0.5 and at a per-attribute threshold maximising F1 on the out-of-fold
// probabilities of the training split (the cross-validation's held-out predictions at the chosen C), or on
// the training predictions when there is no cross-validation.
// Shapes: features (N, D) floating, any device (the fits run there); labels (N) integer (any values; mapped
// to sorted classes of the training split); attributes (N, A) integer or bool in {0, 1}.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "metrics/probes/classification_scores.h"
#include "metrics/probes/logistic_regression.h"

namespace latentlab::metrics {

struct ProbeOptions {
  std::vector<double> c_grid;  // empty: logspace(-4, 4, 10)
  int folds = 5;
  double fixed_c = 0.0;  // > 0: no search
  uint64_t seed = 0;
  std::vector<int> top_k = {1, 5};
  LogisticOptions fit;
  std::vector<double> grid() const;
};

struct ClassProbeResult {
  double c = 0.0;
  std::vector<double> cv_accuracy;  // per grid C (empty without search)
  MulticlassScores train, test;
  int64_t num_train = 0, num_test = 0, num_features = 0, num_classes = 0;
  bool converged = false;
  ProbeOptions options;
  nlohmann::json to_json() const;
};

ClassProbeResult fit_class_probe(const at::Tensor& features_train, const at::Tensor& labels_train,
                                 const at::Tensor& features_test, const at::Tensor& labels_test,
                                 const ProbeOptions& options = {});

struct AttributeScores {
  double c = 0.0, threshold = 0.5;
  double accuracy = 0, balanced_accuracy = 0, f1 = 0, f1_tuned = 0, average_precision = 0, roc_auc = 0;
  double positive_rate = 0;  // in the test split
};

struct AttributeProbeResult {
  std::vector<AttributeScores> attributes;
  double macro_f1 = 0, micro_f1 = 0, macro_f1_tuned = 0, micro_f1_tuned = 0;
  double mean_average_precision = 0, mean_balanced_accuracy = 0, mean_accuracy = 0;
  std::vector<int> top_k;
  std::vector<double> top_k_recall;  // mean over test rows with a positive of |top-k ∩ positives| / |positives|
  std::vector<std::string> names;    // optional attribute names for the table
  int64_t num_train = 0, num_test = 0, num_features = 0;
  bool converged = false;
  ProbeOptions options;
  nlohmann::json to_json() const;
};

AttributeProbeResult fit_attribute_probe(const at::Tensor& features_train, const at::Tensor& attributes_train,
                                         const at::Tensor& features_test, const at::Tensor& attributes_test,
                                         const ProbeOptions& options = {});

// Scores of attribute probabilities p_test (N, A) float64 CPU against t_test (N, A) {0, 1} float64 CPU: the
// per-attribute table at 0.5 and at `thresholds`, the pooled and mean scores and top-k recall (shared by the
// linear and MLP probes). `head_c` (A values) is recorded per attribute (0 for the MLP).
AttributeProbeResult score_attribute_probe(const at::Tensor& p_test, const at::Tensor& t_test,
                                           const std::vector<double>& thresholds, const std::vector<double>& head_c,
                                           const std::vector<int>& top_k);

// The sorted distinct values of integer `labels` (1-D), and their dense ids in `classes` (-1 when absent).
std::vector<int64_t> sorted_classes(const std::vector<int64_t>& labels);
std::vector<int32_t> dense_class_ids(const std::vector<int64_t>& labels, const std::vector<int64_t>& classes);

// A score as JSON: NaN (undefined, e.g. no positive example) as null.
nlohmann::json score_json(double v);

// accuracy, top_k_accuracy {top_1, …}, macro/micro F1 and balanced accuracy (NaN as null).
nlohmann::json multiclass_scores_json(const MulticlassScores& scores);

// KFold split: fold id of each of n rows (rows shuffled with `seed`, then cut into `folds` contiguous parts
// of sizes n/folds rounded as sklearn's KFold does: the first n % folds parts get one more).
std::vector<int> kfold_assignment(int64_t n, int folds, uint64_t seed);

}  // namespace latentlab::metrics
