// Inception Score on closed forms: uniform predictions score 1, confident predictions balanced over K
// classes in every split score K; invariances (a constant added to a row's logits); the split rules of both
// protocols; streaming and merging; errors. The torch-fidelity/ADM cross-checks are in
// tests/reference/metrics/inception_score_reference_test.cpp.
#include "metrics/generative/inception_score.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "core/error.h"

namespace latentlab::metrics {
namespace {

// Row i is confidently class (i mod k): logit 200 against 0 elsewhere, so p(y|x) is one-hot up to
// exp(-200) ~ 1e-87.
at::Tensor confident_logits(int64_t n, int64_t k, int64_t classes = 1008) {
  const auto label = at::arange(n, at::kLong).remainder(k).unsqueeze(1);
  return at::zeros({n, classes}, at::kDouble).scatter_(1, label, 200.0);
}

TEST(InceptionScore, UniformPredictionsScoreOne) {
  for (const auto& options : {InceptionScoreOptions::torch_fidelity(), InceptionScoreOptions::adm()}) {
    const auto score = inception_score(at::zeros({50, 1008}, at::kFloat), options);
    EXPECT_DOUBLE_EQ(score.mean, 1.0);
    EXPECT_DOUBLE_EQ(score.std, 0.0);
  }
}

TEST(InceptionScore, ConfidentAndBalancedPredictionsScoreTheClassCount) {
  InceptionScoreOptions no_shuffle;
  no_shuffle.shuffle = false;
  // 10 splits of r K rows each hold every class exactly r times: mean prediction uniform over K, each KL
  // = log K, IS = K up to the exp(-200) leakage and float64 rounding of exp(log K).
  for (int64_t k : {2, 10, 1008}) {
    const int64_t r = k < 1008 ? 3 : 1;
    const auto score = inception_score(confident_logits(10 * r * k, k), no_shuffle);
    EXPECT_NEAR(score.mean, static_cast<double>(k), 1e-12 * k) << k;
    EXPECT_NEAR(score.std, 0.0, 1e-12 * k) << k;
    ASSERT_EQ(score.split_scores.size(), 10u);
  }
  // ADM splits of 5000 rows: 12000 rows with K = 8 -> splits 5000, 5000, 2000, each balanced.
  const auto adm = inception_score(confident_logits(12000, 8), InceptionScoreOptions::adm());
  ASSERT_EQ(adm.split_scores.size(), 3u);
  EXPECT_NEAR(adm.mean, 8.0, 1e-11);
}

TEST(InceptionScore, ShuffledSplitsOfConfidentPredictionsStayBelowTheClassCount) {
  // Shuffled, the splits are no longer exactly balanced: each IS_k = exp(H(class histogram of split k))
  // <= K, with equality only for a perfectly balanced split.
  const auto score = inception_score(confident_logits(1000, 10), InceptionScoreOptions::torch_fidelity());
  EXPECT_LE(score.mean, 10.0 + 1e-9);
  EXPECT_GT(score.mean, 9.0);
  EXPECT_GT(score.std, 0.0);
}

TEST(InceptionScore, InvariantToAConstantPerRowAndToDtype) {
  at::manual_seed(3);
  const auto logits = at::randn({200, 1008}, at::kDouble) * 3;
  const auto shifted = logits + at::randn({200, 1}, at::kDouble) * 50;
  const auto a = inception_score(logits), b = inception_score(shifted), c = inception_score(logits.to(at::kFloat));
  EXPECT_NEAR(a.mean, b.mean, 1e-10 * a.mean);
  EXPECT_NEAR(a.std, b.std, 1e-10 * a.mean);
  EXPECT_NEAR(a.mean, c.mean, 1e-5 * a.mean);  // float32 inputs: ~1e-7 relative rounding of each logit
}

TEST(InceptionScore, TorchFidelitySplitRowsFollowIntegerDivision) {
  // 23 rows, 10 splits: rows [k 23 / 10, (k + 1) 23 / 10) -> sizes 2,2,2,3,2,2,3,2,2,3; a split with one
  // row would give IS 1 exactly. With confident predictions of distinct classes every split scores its
  // own size.
  InceptionScoreOptions no_shuffle;
  no_shuffle.shuffle = false;
  const auto score = inception_score(confident_logits(23, 23), no_shuffle);
  const std::vector<double> sizes{2, 2, 2, 3, 2, 2, 3, 2, 2, 3};
  ASSERT_EQ(score.split_scores.size(), sizes.size());
  for (size_t k = 0; k < sizes.size(); ++k) EXPECT_NEAR(score.split_scores[k], sizes[k], 1e-12) << k;
}

TEST(InceptionScore, MetricIsIndependentOfBatchingAndMergesInOrder) {
  at::manual_seed(5);
  const auto logits = at::randn({301, 1008}, at::kFloat) * 4;
  const double expected = inception_score(logits).mean;
  for (int64_t batch : {1, 7, 301}) {
    InceptionScoreMetric metric;
    for (int64_t i = 0; i < 301; i += batch) metric.update(logits.slice(0, i, std::min<int64_t>(i + batch, 301)));
    EXPECT_EQ(metric.finalize()[kKeyIsMean].get<double>(), expected) << batch;
  }
  InceptionScoreMetric first, second;
  first.update(logits.slice(0, 0, 100));
  second.update(logits.slice(0, 100, 301));
  first.merge(second);
  const auto result = first.finalize();
  EXPECT_EQ(result[kKeyIsMean].get<double>(), expected);
  EXPECT_EQ(result["count"], 301);
  EXPECT_EQ(result["options"]["seed"], 2020);
}

TEST(InceptionScore, BadInputsAreUserErrors) {
  EXPECT_THROW(inception_score(at::zeros({5, 1008})), UserError);  // fewer rows than splits
  EXPECT_THROW(inception_score(at::zeros({1008})), UserError);     // not 2-D
  EXPECT_THROW(inception_score(at::zeros({20, 1})), UserError);    // one class
  EXPECT_THROW(inception_score(at::zeros({20, 8}, at::kLong)), UserError);
  InceptionScoreMetric metric, adm(InceptionScoreOptions::adm());
  metric.update(at::zeros({4, 8}));
  EXPECT_THROW(metric.update(at::zeros({4, 9})), UserError);
  EXPECT_THROW(metric.merge(adm), UserError);
  EXPECT_THROW(InceptionScoreMetric().finalize(), UserError);
}

}  // namespace
}  // namespace latentlab::metrics
