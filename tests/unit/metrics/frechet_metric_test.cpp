// The streaming FID metric against frechet_distance() on directly computed float64 statistics, in any
// batching and across merged shards.
#include "metrics/generative/frechet_metric.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "core/error.h"
#include "metrics/generative/frechet.h"

namespace latentlab::metrics {
namespace {

TEST(FrechetMetric, MatchesTheDistanceOfDirectStatistics) {
  at::manual_seed(1);
  const auto ref = at::randn({500, 16}, at::kDouble) * 1.2, x = at::randn({333, 16}, at::kDouble) + 0.1;
  auto stats = [](const at::Tensor& f) {
    const auto m = f.mean(0);
    const auto c = f - m;
    return std::make_pair(m, at::matmul(c.t(), c) / (f.size(0) - 1));
  };
  const auto [mu_r, sigma_r] = stats(ref);
  const auto [mu_x, sigma_x] = stats(x);
  const double expected = frechet_distance(mu_x, sigma_x, mu_r, sigma_r);
  for (int64_t batch : {1, 50, 333}) {
    FrechetMetric metric(mu_r, sigma_r);
    for (int64_t i = 0; i < 333; i += batch) metric.update(x.slice(0, i, std::min<int64_t>(i + batch, 333)));
    // float64 streaming moments vs two-pass: ~1e-15 relative differences in sigma.
    EXPECT_NEAR(metric.finalize()[kKeyFrechetDistance].get<double>(), expected, 1e-10 * expected) << batch;
  }
  FrechetMetric a(mu_r, sigma_r), b(mu_r, sigma_r);
  a.update(x.slice(0, 0, 100));
  b.update(x.slice(0, 100, 333).to(at::kFloat).to(at::kDouble));
  a.merge(b);
  EXPECT_EQ(a.finalize()["count"], 333);
  EXPECT_NEAR(a.finalize()[kKeyFrechetDistance].get<double>(), expected, 1e-10 * expected);
  EXPECT_EQ(a.name(), "fid");
}

TEST(FrechetMetric, BadInputsAreUserErrors) {
  const auto eye = at::eye(4, at::kDouble);
  EXPECT_THROW(FrechetMetric(at::zeros({4}), at::eye(3)), UserError);
  FrechetMetric metric(at::zeros({4}), eye);
  EXPECT_THROW(metric.update(at::zeros({2, 5})), UserError);
  metric.update(at::zeros({1, 4}));
  EXPECT_THROW(metric.finalize(), UserError);  // one sample: no covariance
  EXPECT_THROW(metric.merge(FrechetMetric(at::ones({4}), eye)), UserError);
}

}  // namespace
}  // namespace latentlab::metrics
