#include "metrics/disentanglement/dci_gbt.h"

#include <cmath>

#include <ATen/Parallel.h>

namespace latentlab::metrics {
namespace {

double accuracy(const std::vector<int32_t>& predicted, const std::vector<int32_t>& truth) {
  int64_t hit = 0;
  for (size_t i = 0; i < truth.size(); ++i) hit += predicted[i] == truth[i];
  return truth.empty() ? 0.0 : static_cast<double>(hit) / truth.size();
}

}  // namespace

GbtDciImportance gbt_dci_importance(const TrainTestCodes& split, const GbtOptions& options) {
  const int64_t j_count = split.z_train.size(1), k_count = static_cast<int64_t>(split.f_train.size());
  GbtDciImportance out;
  out.importance.assign(j_count, std::vector<double>(k_count, 0.0));
  out.train_accuracy.assign(k_count, 0.0);
  out.test_accuracy.assign(k_count, 0.0);
  at::parallel_for(0, k_count, 1, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      const auto labels = dense_labels(split.f_train[k]);
      const auto model = GbtClassifier::fit(split.z_train, labels.ids, labels.num_classes(), options);
      for (int64_t j = 0; j < j_count; ++j) out.importance[j][k] = std::abs(model.feature_importances()[j]);
      out.train_accuracy[k] = accuracy(model.predict(split.z_train), labels.ids);
      out.test_accuracy[k] = accuracy(model.predict(split.z_test), map_labels(split.f_test[k], labels.classes));
    }
  });
  return out;
}

}  // namespace latentlab::metrics
