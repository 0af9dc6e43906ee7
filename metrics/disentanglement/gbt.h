// Gradient-boosted trees for classification with sklearn's GradientBoostingClassifier() defaults, the model
// disentanglement_lib's DCI uses (evaluation/metrics/dci.py; sklearn/ensemble/_gb.py and _gb_losses.py,
// BSD-3-Clause; ../shared/docs/METRICS.md §11):
//   log-loss; 100 stages, learning rate 0.1, trees of depth 3 (gbt_tree.h, friedman_mse), no subsampling;
//   2 classes: one tree per stage on y - expit(F), init F = logit(prior);
//   C > 2 classes: one tree per class per stage on y_k - softmax(F)_k (all from the stage's starting F),
//   init F_k = log(prior_k); priors clipped to [eps32, 1 - eps32];
//   leaf value = sum r / sum (y - r)(1 - y + r) (multiclass: numerator times (C - 1)/C; 0 when |den| < 1e-150),
//   F += learning_rate * leaf value;
//   feature importances = the mean over trees with a split of each tree's impurity decrease per feature
//   (divided by the rows), normalised to sum 1 (all zero when no tree split).
// Features are float32 like sklearn's; results equal sklearn's up to float64 summation order and the
// tie-break between equally good splits of different features (sklearn's random feature order, here a
// seeded random rank). The trees of one stage are grown in parallel (at::parallel_for), and so are the
// features of one level.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "metrics/disentanglement/gbt_tree.h"

namespace latentlab::metrics {

struct GbtOptions {
  int64_t num_stages = 100;  // sklearn n_estimators
  double learning_rate = 0.1;
  int max_depth = 3;
  uint64_t seed = 0;  // tie-breaks between features
};

class GbtClassifier {
 public:
  // x: (N, D) floating, any device; labels: N dense class ids in 0..num_classes-1. One class: every
  // prediction is that class and every importance 0 (sklearn refuses such data).
  static GbtClassifier fit(const at::Tensor& x, const std::vector<int32_t>& labels, int32_t num_classes,
                           const GbtOptions& options = {});

  std::vector<int32_t> predict(const at::Tensor& x) const;  // x: (M, D)
  // (M, C) raw scores F (one column for 2 classes), row-major.
  std::vector<double> decision_function(const at::Tensor& x) const;
  const std::vector<double>& feature_importances() const { return importances_; }
  int32_t num_classes() const { return num_classes_; }
  int64_t trees_with_splits() const { return trees_with_splits_; }

 private:
  int32_t num_classes_ = 0;
  int64_t num_features_ = 0;
  double learning_rate_ = 0.1;
  std::vector<double> init_;                        // K initial raw scores
  std::vector<std::vector<RegressionTree>> trees_;  // [stage][k]
  std::vector<double> importances_;
  int64_t trees_with_splits_ = 0;
};

}  // namespace latentlab::metrics
