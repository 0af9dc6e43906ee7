// DCI importances from gradient-boosted trees, disentanglement_lib's default (evaluation/metrics/dci.py,
// Apache-2.0): per factor one GradientBoostingClassifier() (gbt.h) on the raw codes (no standardisation:
// trees are invariant to it); R[j][k] = |feature_importances_[j]| of factor k's model; informativeness =
// its accuracy on the training and on the test split. Test values unseen in training can never be
// predicted (they count as errors, as in dlib). Factors are fitted in parallel.
#pragma once

#include <vector>

#include "metrics/disentanglement/codes.h"
#include "metrics/disentanglement/gbt.h"

namespace latentlab::metrics {

struct GbtDciImportance {
  std::vector<std::vector<double>> importance;        // (J, K)
  std::vector<double> train_accuracy, test_accuracy;  // (K)
};

GbtDciImportance gbt_dci_importance(const TrainTestCodes& split, const GbtOptions& options);

}  // namespace latentlab::metrics
