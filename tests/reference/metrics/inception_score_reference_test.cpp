// Inception Score and the numpy RandomState port against tests/reference/metrics/inception_score_reference.py
// (numpy/scipy reimplementations of torch-fidelity's and ADM's IS) on identical logits.
#ifdef LATENTLAB_WITH_ZIP  // the reference arrives as an .npz
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include <ATen/ATen.h>

#include "io/npz.h"
#include "io/tensor_convert.h"
#include "metrics/generative/inception_score.h"
#include "metrics/generative/numpy_random.h"
#include "support/test_support.h"

namespace latentlab::metrics {
namespace {

class InceptionScoreReference : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(testing::reference_python_has("numpy, scipy")) << "Debian's python3-scipy is required";
    dir_ = new testing::ScratchDir;
    const auto r = testing::run_reference_python("metrics/inception_score_reference.py", dir_->file("is.npz"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    npz_ = new io::NpzReader(dir_->file("is.npz"));
  }
  static void TearDownTestSuite() {
    delete npz_;
    delete dir_;
  }
  static at::Tensor get(const std::string& key) { return io::to_tensor(npz_->read(key)); }
  static testing::ScratchDir* dir_;
  static io::NpzReader* npz_;
};
testing::ScratchDir* InceptionScoreReference::dir_ = nullptr;
io::NpzReader* InceptionScoreReference::npz_ = nullptr;

TEST_F(InceptionScoreReference, PermutationsAndChoicesMatchNumpy) {
  for (int64_t n : {1, 2, 10, 1000, 70000}) {
    const auto expected = get("perm_2020_" + std::to_string(n));
    const auto ours = NumpyRandomState(2020).permutation(n);
    ASSERT_EQ(static_cast<int64_t>(ours.size()), n);
    EXPECT_TRUE(at::equal(at::tensor(ours, at::kLong), expected)) << n;
  }
  const auto choices = get("choices_123");
  NumpyRandomState rng(123);
  for (int64_t row = 0; row < 3; ++row) {
    auto a = rng.choice_without_replacement(500, 40);
    const auto b = rng.choice_without_replacement(77, 40);
    a.insert(a.end(), b.begin(), b.end());
    EXPECT_TRUE(at::equal(at::tensor(a, at::kLong), choices[row])) << row;
  }
}

// Both sides compute in float64 from the same float32 logits; the only differences are summation orders
// (~1e-15 relative per sum), so 1e-12 relative is a generous bound.
TEST_F(InceptionScoreReference, TorchFidelityModeMatches) {
  const auto score = inception_score(get("logits"), InceptionScoreOptions::torch_fidelity());
  const double mean = get("tf_mean").item<double>(), std = get("tf_std").item<double>();
  std::printf("measured: IS mean %.17g vs %.17g (rel %.3g), std %.17g vs %.17g\n", score.mean, mean,
              std::abs(score.mean - mean) / mean, score.std, std);
  EXPECT_NEAR(score.mean, mean, 1e-12 * mean);
  EXPECT_NEAR(score.std, std, 1e-10 * mean);
  const auto scores = get("tf_scores");
  ASSERT_EQ(score.split_scores.size(), 10u);
  for (int64_t k = 0; k < 10; ++k) EXPECT_NEAR(score.split_scores[k], scores[k].item<double>(), 1e-12 * mean) << k;
}

TEST_F(InceptionScoreReference, AdmModeMatchesWithAPartialLastSplit) {
  auto options = InceptionScoreOptions::adm();
  options.split_size = 300;  // 1037 rows: 300, 300, 300, 137
  const auto score = inception_score(get("logits"), options);
  const auto scores = get("adm_scores");
  ASSERT_EQ(score.split_scores.size(), 4u);
  for (int64_t k = 0; k < 4; ++k) EXPECT_NEAR(score.split_scores[k], scores[k].item<double>(), 1e-11) << k;
  EXPECT_NEAR(score.mean, get("adm_mean").item<double>(), 1e-11);
}

TEST_F(InceptionScoreReference, StreamingMetricMatchesInAnyBatching) {
  const auto logits = get("logits");
  InceptionScoreMetric a, b;
  a.update(logits.slice(0, 0, 1));
  a.update(logits.slice(0, 1, 500));
  b.update(logits.slice(0, 500, 1037));
  a.merge(b);
  const auto result = a.finalize();
  EXPECT_EQ(result["count"], 1037);
  EXPECT_NEAR(result[kKeyIsMean].get<double>(), get("tf_mean").item<double>(), 1e-12 * 20);
}

}  // namespace
}  // namespace latentlab::metrics
#endif  // LATENTLAB_WITH_ZIP
