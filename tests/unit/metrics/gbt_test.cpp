// Gradient-boosted trees (gbt.h) on data with known answers: a feature that splits the classes purely gets
// every importance and the closed-form Newton leaf values (binary: ±2 after one stage at learning rate 1
// from balanced priors; 3 classes: log(1/3) + 2 for the true class, log(1/3) - 1 for the others);
// exact duplicates share the importance (sklearn's random feature order, here seeded ranks); fits are
// deterministic; one class predicts itself. The comparison with sklearn is tests/reference/metrics.
#include "metrics/disentanglement/gbt.h"

#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

namespace latentlab::metrics {
namespace {

// x (n, 3): column 0 decides the class (thresholds at -0.5 and 0.5 for 3 classes, 0 for 2); others noise.
std::pair<at::Tensor, std::vector<int32_t>> pure_split(int64_t n, int classes, uint64_t seed) {
  at::manual_seed(seed);
  const auto x = at::randn({n, 3}, at::kDouble);
  std::vector<int32_t> labels(n);
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i][0].item<double>();
    labels[i] = classes == 2 ? v > 0 : (v > -0.5) + (v > 0.5);
  }
  return {x, labels};
}

TEST(Gbt, PureSplitTakesAllImportanceAndGivesTheNewtonLeafValues) {
  const auto [x, labels] = pure_split(400, 2, 1);
  const auto model = GbtClassifier::fit(x, labels, 2);
  EXPECT_NEAR(model.feature_importances()[0], 1.0, 1e-12);
  EXPECT_NEAR(model.feature_importances()[1] + model.feature_importances()[2], 0.0, 1e-12);
  const auto predicted = model.predict(x);
  EXPECT_EQ(predicted, labels);

  // One stage, learning rate 1, balanced classes: init 0, leaves -1/(1 - 1/2) = -2 and +2.
  std::vector<int32_t> balanced(labels.size());
  const auto order = x.select(1, 0).argsort();
  for (size_t r = 0; r < labels.size(); ++r) balanced[order[r].item<int64_t>()] = r >= labels.size() / 2;
  GbtOptions one;
  one.num_stages = 1;
  one.learning_rate = 1.0;
  const auto stump = GbtClassifier::fit(x, balanced, 2, one);
  const auto raw = stump.decision_function(x);
  for (size_t i = 0; i < raw.size(); ++i) ASSERT_NEAR(raw[i], balanced[i] ? 2.0 : -2.0, 1e-12) << i;
}

TEST(Gbt, MulticlassPureSplitHasClosedFormScores) {
  const auto [x, labels] = pure_split(600, 3, 2);
  GbtOptions one;
  one.num_stages = 1;
  one.learning_rate = 1.0;
  // Equal class counts make the prior exactly 1/3: rank x0 into thirds.
  std::vector<int32_t> thirds(labels.size());
  const auto order = x.select(1, 0).argsort();
  for (size_t r = 0; r < labels.size(); ++r)
    thirds[order[r].item<int64_t>()] = static_cast<int32_t>(3 * r / labels.size());
  const auto model = GbtClassifier::fit(x, thirds, 3, one);
  const auto raw = model.decision_function(x);
  for (size_t i = 0; i < thirds.size(); ++i)
    for (int k = 0; k < 3; ++k)
      ASSERT_NEAR(raw[i * 3 + k], std::log(1.0 / 3) + (thirds[i] == k ? 2.0 : -1.0), 1e-12) << i << "," << k;
  EXPECT_NEAR(model.feature_importances()[0], 1.0, 1e-12);
  EXPECT_EQ(model.predict(x), thirds);
}

TEST(Gbt, DuplicatesShareImportanceAndFitsAreDeterministic) {
  const auto [x, labels] = pure_split(300, 2, 3);
  const auto doubled = at::cat({x.narrow(1, 0, 1), x}, 1);  // columns 0 and 1 are the same feature
  const auto a = GbtClassifier::fit(doubled, labels, 2);
  const auto b = GbtClassifier::fit(doubled, labels, 2);
  EXPECT_EQ(a.feature_importances(), b.feature_importances());
  EXPECT_EQ(a.decision_function(doubled), b.decision_function(doubled));
  const double first = a.feature_importances()[0], second = a.feature_importances()[1];
  EXPECT_NEAR(first + second, 1.0, 1e-12);
  EXPECT_GT(first, 0.2);  // 100 trees, each copy first in a random order with probability 1/2
  EXPECT_GT(second, 0.2);
}

TEST(Gbt, OneClassPredictsItselfWithZeroImportance) {
  const auto x = at::randn({20, 2}, at::kDouble);
  const auto model = GbtClassifier::fit(x, std::vector<int32_t>(20, 0), 1);
  EXPECT_EQ(model.predict(x), std::vector<int32_t>(20, 0));
  EXPECT_EQ(model.feature_importances(), std::vector<double>(2, 0.0));
}

}  // namespace
}  // namespace latentlab::metrics
