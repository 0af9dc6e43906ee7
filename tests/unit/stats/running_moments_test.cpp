// Running moments against numpy (np.mean, np.cov on identical features), a direct two-pass float64
// computation, and themselves: batch-size independence and shard merging.
#include "stats/running_moments.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "core/error.h"
#ifdef LATENTLAB_WITH_ZIP
#include "io/npz.h"
#endif
#include "io/tensor_convert.h"
#include "support/test_support.h"

namespace latentlab::stats {
namespace {

// Two-pass float64 reference.
std::pair<at::Tensor, at::Tensor> direct(const at::Tensor& x) {
  const auto m = x.mean(0);
  const auto c = x - m;
  return {m, at::matmul(c.t(), c) / (x.size(0) - 1)};
}

at::Tensor offset_features(int64_t n, int64_t d, uint64_t seed) {
  at::manual_seed(seed);
  return at::matmul(at::randn({n, d}, at::kDouble), at::randn({d, d}, at::kDouble)) + 1e4 * at::rand({d}, at::kDouble);
}

double max_relative(const at::Tensor& a, const at::Tensor& b) {
  return ((a - b).abs().max() / b.abs().max()).item<double>();
}

#ifdef LATENTLAB_WITH_ZIP  // the reference arrives as an .npz
TEST(RunningMoments, MatchesNumpyMeanAndCov) {
  ASSERT_TRUE(testing::reference_python_has("numpy")) << "Debian's python3-numpy is required (tools/install-deps.sh)";
  testing::ScratchDir dir;
  const auto r = testing::run_reference_python("moments_reference.py", dir.file("m.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  io::NpzReader npz(dir.file("m.npz"));
  const auto x = io::to_tensor(npz.read("features"));
  RunningMoments moments(x.size(1), true);
  for (int64_t i = 0; i < x.size(0); i += 250) moments.update(x.slice(0, i, std::min<int64_t>(i + 250, x.size(0))));
  // float64 throughout on both sides; the offset of 1e4 costs about 8 of the 16 digits in the mean's
  // neighbourhood, so 1e-10 relative is a safe bound for either summation order.
  EXPECT_LT(max_relative(moments.mean(), io::to_tensor(npz.read("mu"))), 1e-12);
  EXPECT_LT(max_relative(moments.covariance(), io::to_tensor(npz.read("sigma"))), 1e-10);
}
#endif

TEST(RunningMoments, IndependentOfBatchSizeAndFloat32Input) {
  const auto x = offset_features(1000, 9, 1);
  const auto [m, c] = direct(x);
  for (int64_t batch : {1, 7, 128, 1000}) {
    RunningMoments moments(9, true);
    for (int64_t i = 0; i < 1000; i += batch) moments.update(x.slice(0, i, std::min<int64_t>(i + batch, 1000)));
    EXPECT_EQ(moments.count(), 1000);
    EXPECT_LT(max_relative(moments.mean(), m), 1e-13) << batch;
    EXPECT_LT(max_relative(moments.covariance(), c), 1e-10) << batch;
  }
  // float32 features are widened before accumulation: the result is the float64 statistics of the
  // float32-rounded values.
  RunningMoments single(9, true);
  single.update(x.to(at::kFloat));
  EXPECT_LT(max_relative(single.covariance(), direct(x.to(at::kFloat).to(at::kDouble)).second), 1e-10);
}

TEST(RunningMoments, ShardsMergeToTheWhole) {
  const auto x = offset_features(900, 5, 2);
  RunningMoments whole(5, true), merged(5, true);
  whole.update(x);
  for (int s = 0; s < 3; ++s) {
    RunningMoments shard(5, true);
    shard.update(x.slice(0, 300 * s, 300 * (s + 1)));
    merged.merge(shard);
  }
  EXPECT_EQ(merged.count(), 900);
  EXPECT_LT(max_relative(merged.mean(), whole.mean()), 1e-14);
  EXPECT_LT(max_relative(merged.covariance(), whole.covariance()), 1e-11);
  const auto reloaded = RunningMoments::from_parts(merged.count(), merged.mean(), merged.m2());
  EXPECT_TRUE(at::equal(reloaded.covariance(), merged.covariance()));
}

TEST(RunningMoments, DiagonalKeepsTheVariance) {
  const auto x = offset_features(400, 6, 3);
  RunningMoments full(6, true), diagonal(6, false);
  for (int64_t i = 0; i < 400; i += 64) {
    full.update(x.slice(0, i, std::min<int64_t>(i + 64, 400)));
    diagonal.update(x.slice(0, i, std::min<int64_t>(i + 64, 400)));
  }
  EXPECT_LT(max_relative(diagonal.variance(), full.covariance().diagonal()), 1e-12);
  EXPECT_LT(max_relative(diagonal.variance(), x.var(0, /*unbiased=*/true)), 1e-10);
}

TEST(RunningMoments, BadShapesAndTooFewSamplesAreUserErrors) {
  RunningMoments m(4, true);
  EXPECT_THROW(m.update(at::zeros({3, 5})), UserError);
  EXPECT_THROW(m.covariance(), UserError);
  m.update(at::ones({1, 4}));
  EXPECT_THROW(m.covariance(), UserError);
  EXPECT_THROW(RunningMoments::from_parts(3, at::zeros({4}), at::zeros({4, 3})), UserError);
}

}  // namespace
}  // namespace latentlab::stats
