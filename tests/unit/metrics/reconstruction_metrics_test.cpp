// PSNR and SSIM closed forms (metrics/reconstruction/{psnr,ssim}.h) and the streaming contract of the
// per-image metrics: batch-size independence and exact shard merges. The Python cross-check lives in
// tests/reference/metrics/reconstruction_reference_test.cpp.
#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

#include "metrics/reconstruction/psnr.h"
#include "metrics/reconstruction/ssim.h"
#include "support/expect_user_error.h"

namespace latentlab::metrics {
namespace {

at::Tensor random_nchw_images(int64_t n, int64_t h, int64_t w, uint64_t seed) {
  at::manual_seed(seed);
  return at::randint(20, 230, {n, 3, h, w}, at::kByte);
}

TEST(PsnrTest, ConstantOffsetGivesTheClosedForm) {
  // |x − y| = d everywhere: MSE = d², PSNR = 20·log10(255 / d).
  const at::Tensor x = random_nchw_images(2, 9, 7, 1);
  for (int d : {1, 5, 17}) {
    const at::Tensor p = psnr_per_image(x, x + d);
    for (int64_t i = 0; i < 2; ++i) EXPECT_NEAR(p[i].item<double>(), 20 * std::log10(255.0 / d), 1e-12) << d;
  }
}

TEST(PsnrTest, IdenticalImagesAreInfiniteAndReportedAsSuch) {
  const at::Tensor x = random_nchw_images(3, 8, 8, 2);
  at::Tensor y = x.clone();
  y[1] += 3;  // one pair differs: PSNR 20·log10(85)
  PsnrMetric metric;
  metric.update(x, y);
  const auto r = metric.finalize();
  EXPECT_TRUE(r[kKeyPsnr].is_null());  // the mean is +inf (skimage's per-image +inf, averaged)
  EXPECT_EQ(r[kKeyPsnrInfiniteCount], 2);
  EXPECT_NEAR(r[kKeyPsnrFiniteMean].get<double>(), 20 * std::log10(85.0), 1e-12);
  EXPECT_EQ(r["psnr_count"], 3);
}

TEST(SsimTest, IdenticalImagesGiveOne) {
  const at::Tensor x = random_nchw_images(2, 16, 13, 3);
  const at::Tensor s = ssim_per_image(x, x);
  for (int64_t i = 0; i < 2; ++i) EXPECT_NEAR(s[i].item<double>(), 1.0, 1e-12);
}

TEST(SsimTest, ConstantImagesGiveTheLuminanceTerm) {
  // Constant a and b: σ = 0, so SSIM = (2ab + C1) / (a² + b² + C1) with C1 = (0.01·255)².
  const double a = 100, b = 140, c1 = std::pow(0.01 * 255, 2);
  const at::Tensor x = at::full({1, 3, 12, 12}, a, at::kByte), y = at::full({1, 3, 12, 12}, b, at::kByte);
  EXPECT_NEAR(ssim_per_image(x, y)[0].item<double>(), (2 * a * b + c1) / (a * a + b * b + c1), 1e-12);
}

TEST(SsimTest, UsesOnlyValidWindowPositions) {
  // x = 100 everywhere; y differs from x in column 0 only (160). An 11×12 image has two valid 11×11 windows
  // (a 1×2 map); only the first covers column 0, with total weight g0 (the edge tap of the normalised
  // 11-tap Gaussian). There μy = 100 + 60·g0, σx = σxy = 0, σy² = 3600·g0·(1 − g0); the second window sees
  // identical images (SSIM 1). A padded ("same") map would average 132 positions instead.
  double total = 0;
  for (int k = -5; k <= 5; ++k) total += std::exp(-k * k / (2 * 1.5 * 1.5));
  const double g0 = std::exp(-25 / (2 * 1.5 * 1.5)) / total;
  const double c1 = std::pow(0.01 * 255, 2), c2 = std::pow(0.03 * 255, 2);
  const double mu_y = 100 + 60 * g0, var_y = 3600 * g0 * (1 - g0);
  const double first = (2 * 100 * mu_y + c1) * c2 / ((100 * 100 + mu_y * mu_y + c1) * (var_y + c2));
  const at::Tensor x = at::full({1, 3, 11, 12}, 100, at::kByte);
  at::Tensor y = x.clone();
  y.select(3, 0).fill_(160);
  EXPECT_NEAR(ssim_per_image(x, y)[0].item<double>(), (first + 1) / 2, 1e-12);
}

TEST(SsimTest, ImagesSmallerThanTheWindowAreAnError) {
  const at::Tensor x = random_nchw_images(1, 10, 20, 4);
  EXPECT_CONTAINS(testing::problem_of([&] { ssim_per_image(x, x); }, "ssim"), "smaller than the 11x11 window");
  EXPECT_CONTAINS(testing::problem_of([&] { ssim_per_image(x, x.to(at::kFloat)); }, "ssim"), "uint8");
}

TEST(PerImageMetricTest, ResultsDoNotDependOnBatchesOrShards) {
  const at::Tensor x = random_nchw_images(7, 16, 16, 5), y = random_nchw_images(7, 16, 16, 6);
  SsimMetric whole, batched, shard_a, shard_b;
  PsnrMetric psnr_whole, psnr_a, psnr_b;
  whole.update(x, y);
  psnr_whole.update(x, y);
  for (int64_t start : {0, 1, 4}) {
    const int64_t end = start == 0 ? 1 : start == 1 ? 4 : 7;
    batched.update(x.slice(0, start, end), y.slice(0, start, end));
  }
  shard_a.update(x.slice(0, 0, 3), y.slice(0, 0, 3));
  shard_b.update(x.slice(0, 3), y.slice(0, 3));
  shard_a.merge(shard_b);
  psnr_a.update(x.slice(0, 0, 5), y.slice(0, 0, 5));
  psnr_b.update(x.slice(0, 5), y.slice(0, 5));
  psnr_a.merge(psnr_b);
  // Per-image values summed in row order: equal bit for bit.
  EXPECT_EQ(whole.finalize(), batched.finalize());
  EXPECT_EQ(whole.finalize(), shard_a.finalize());
  EXPECT_EQ(psnr_whole.finalize(), psnr_a.finalize());
  EXPECT_EQ(whole.finalize()["ssim_count"], 7);
}

TEST(PerImageMetricTest, MergingOtherMetricsOrOptionsIsAnError) {
  SsimMetric ssim;
  SsimOptions wide;
  wide.sigma = 2.0;
  SsimMetric other(wide);
  PsnrMetric psnr;
  EXPECT_CONTAINS(testing::problem_of([&] { ssim.merge(other); }, "ssim"), "other options");
  EXPECT_CONTAINS(testing::problem_of([&] { ssim.merge(psnr); }, "ssim"), "cannot merge a 'psnr'");
}

}  // namespace
}  // namespace latentlab::metrics
