// Gradient-boosted trees and DCI with tree importances against gbt_reference.py: scikit-learn's
// GradientBoostingClassifier() (100 stages, lr 0.1, depth 3) on identical seeded continuous codes (600/300
// rows, 5 codes, factors of 2, 4 and 3 values: the binary and the multinomial loss). The features have no
// ties, so both grow trees with the same partitions of the training rows and the same leaf values: raw
// training scores agree within 1e-9 (float64 summation order) and training accuracies exactly. When several
// features induce the same partition of a node (typically a split isolating one extreme sample), the split
// goes to whichever comes first in the random feature order, which moves importances and can route a test
// point differently: sklearn itself, with identical training scores, moves importances by up to 9e-4 and
// changes up to 3 of these 300 test predictions between random_state 0..4. Hence importances within 2e-3,
// DCI D and C within 5e-3, at most 3 differing test predictions (test accuracy within 0.01).
#include <gtest/gtest.h>

#include <memory>

#include <ATen/ATen.h>

#include "metrics/disentanglement/codes.h"
#include "metrics/disentanglement/dci.h"
#include "metrics/disentanglement/gbt.h"
#include "reference/metrics/reference_npz.h"

namespace latentlab::metrics {
namespace {

#ifdef LATENTLAB_WITH_ZIP
class GbtReference : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::reference_python_has("numpy, scipy, sklearn")) return;
    testing::run_reference_npz("metrics/gbt_reference.py", ref_);
  }
  static void TearDownTestSuite() { ref_.reset(); }
  void SetUp() override {
    if (!ref_) GTEST_SKIP() << "Debian's python3-numpy/-scipy/-sklearn are required";
  }
  static at::Tensor get(const std::string& name) { return ref_->get(name).clone(); }
  static std::unique_ptr<testing::ReferenceNpz> ref_;
};
std::unique_ptr<testing::ReferenceNpz> GbtReference::ref_;

TEST_F(GbtReference, ClassifierMatchesSklearn) {
  const auto x_train = get("codes_train"), x_test = get("codes_test");
  const auto f_train = get("factors_train").to(at::kLong), f_test = get("factors_test").to(at::kLong);
  for (int64_t k = 0; k < f_train.size(1); ++k) {
    SCOPED_TRACE("factor " + std::to_string(k));
    const auto column = [](const at::Tensor& f, int64_t k) {
      const auto c = f.select(1, k).contiguous();
      return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
    };
    const auto labels = dense_labels(column(f_train, k));
    const auto model = GbtClassifier::fit(x_train, labels.ids, labels.num_classes());

    const auto importance = get("importance_" + std::to_string(k));
    for (int64_t j = 0; j < importance.size(0); ++j)
      EXPECT_NEAR(model.feature_importances()[j], importance[j].item<double>(), 2e-3) << "code " << j;
    const auto decision = get("decision_train_" + std::to_string(k)).contiguous();
    const auto raw = model.decision_function(x_train);
    ASSERT_EQ(static_cast<int64_t>(raw.size()), decision.numel());
    double worst = 0.0;
    for (int64_t i = 0; i < decision.numel(); ++i)
      worst = std::max(worst, std::abs(raw[i] - decision.data_ptr<double>()[i]));
    EXPECT_LT(worst, 1e-9);
    const auto predicted = model.predict(x_test);
    const auto expected = get("predict_test_" + std::to_string(k)).to(at::kLong);
    int64_t differ = 0;
    for (int64_t i = 0; i < expected.size(0); ++i)
      differ += labels.classes[predicted[i]] != expected[i].item<int64_t>();
    EXPECT_LE(differ, 3);
  }
}

TEST_F(GbtReference, DciWithTreeImportancesMatchesDlib) {
  DciOptions options;
  options.importance = "gbt";
  const auto r = compute_dci(get("codes_train"), get("factors_train"), get("codes_test"), get("factors_test"), options);
  const auto importance = get("dci_importance");
  for (int64_t j = 0; j < importance.size(0); ++j)
    for (int64_t k = 0; k < importance.size(1); ++k)
      EXPECT_NEAR(r.importance[j][k], importance[j][k].item<double>(), 2e-3) << j << "," << k;
  EXPECT_NEAR(r.disentanglement, get("dci_d").item<double>(), 5e-3);
  EXPECT_NEAR(r.completeness, get("dci_c").item<double>(), 5e-3);
  EXPECT_NEAR(r.informativeness_train, get("dci_info_train").item<double>(), 1e-12);
  EXPECT_NEAR(r.informativeness_test, get("dci_info_test").item<double>(), 0.01);
  EXPECT_EQ(r.informativeness_measure, "accuracy");
  EXPECT_EQ(r.to_json()["protocol"]["importance"], "gbt");
}
#endif

}  // namespace
}  // namespace latentlab::metrics
