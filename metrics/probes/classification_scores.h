// Scores of a probe's predictions, with scikit-learn's definitions (tests compare against sklearn.metrics):
//   accuracy, top-k accuracy (true class among the k largest scores; on ties the larger class index ranks first,
//   as sklearn's top_k_accuracy_score),
//   macro F1 (unweighted mean over classes present in truth or prediction; 0 for a class never predicted
//   and absent), balanced accuracy (mean per-class recall over classes present in the truth),
//   binary F1 = 2 TP / (2 TP + FP + FN) (0 when the denominator is 0), ROC-AUC (ties count half, as the
//   trapezoidal curve), average precision = sum_n (R_n - R_{n-1}) P_n over distinct thresholds
//   (sklearn.metrics.average_precision_score).
// Shapes: scores (N, C) float64 CPU (probabilities or logits), labels (N) dense ids.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace latentlab::metrics {

struct MulticlassScores {
  double accuracy = 0, macro_f1 = 0, micro_f1 = 0, balanced_accuracy = 0;
  std::vector<int> top_k;  // the k of each entry below
  std::vector<double> top_k_accuracy;
  std::vector<double> per_class_f1;
  std::vector<double> per_class_recall;  // NaN for classes absent from the truth
};
MulticlassScores multiclass_scores(const at::Tensor& scores, const std::vector<int32_t>& labels,
                                   const std::vector<int>& top_k = {1, 5});

struct BinaryCounts {
  int64_t tp = 0, fp = 0, fn = 0, tn = 0;
  double f1() const;
  double balanced_accuracy() const;  // (TPR + TNR) / 2 over the classes present
  double accuracy() const;
};
BinaryCounts binary_counts(const std::vector<double>& score, const std::vector<uint8_t>& truth, double threshold);

// NaN when only one class is present.
double roc_auc(const std::vector<double>& score, const std::vector<uint8_t>& truth);
// NaN when there are no positives.
double average_precision(const std::vector<double>& score, const std::vector<uint8_t>& truth);
// The threshold t (predict positive when score >= t) among the observed scores maximising F1; the first
// (highest) one on ties. Returns 0.5 when there are no positives.
double best_f1_threshold(const std::vector<double>& score, const std::vector<uint8_t>& truth);

}  // namespace latentlab::metrics
