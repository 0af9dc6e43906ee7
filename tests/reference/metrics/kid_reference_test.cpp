// KID against tests/reference/metrics/kid_reference.py, a float64 numpy port of torch-fidelity's KID, on
// identical features with identical subsets (numpy RandomState(2020) draws reproduced).
#ifdef LATENTLAB_WITH_ZIP  // the reference arrives as an .npz
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>

#include <ATen/ATen.h>

#include "metrics/generative/kid.h"
#include "reference/metrics/reference_npz.h"
#include "support/test_support.h"

namespace latentlab::metrics {
namespace {

// Both sides are float64; the kernel sums run over up to 200^2 terms of size ~1 whose total is
// ~1e-2 after cancellation, so rounding is ~1e-16 * 4e4 / 1e-2 ~ 1e-9 relative at worst. 1e-8 relative to
// the mean of the terms bounds it.
TEST(KidReference, MatchesTorchFidelityPortInFloat64) {
  ASSERT_TRUE(testing::reference_python_has("numpy")) << "Debian's python3-numpy is required";
  std::unique_ptr<testing::ReferenceNpz> ref;
  ASSERT_NO_FATAL_FAILURE(testing::run_reference_npz("metrics/kid_reference.py", ref));
  const auto x = ref->get("x"), y = ref->get("y");

  KidOptions options;
  options.subsets = 20;
  options.subset_size = 200;
  const auto result = kernel_inception_distance(x, y, options);
  const double mean = ref->scalar("mean");
  std::printf("measured: KID mean %.17g vs %.17g (rel %.3g), std %.17g vs %.17g\n", result.mean, mean,
              std::abs(result.mean - mean) / std::abs(mean), result.std, ref->scalar("std"));
  EXPECT_NEAR(result.mean, mean, 1e-8 * std::abs(mean));
  EXPECT_NEAR(result.std, ref->scalar("std"), 1e-8 * std::abs(mean));
  const auto values = ref->get("values");
  ASSERT_EQ(result.subset_values.size(), 20u);
  for (int64_t i = 0; i < 20; ++i) EXPECT_NEAR(result.subset_values[i], values[i].item<double>(), 1e-8 * mean) << i;

  KidOptions other;
  other.subsets = 5;
  other.subset_size = 100;
  other.degree = 2;
  other.gamma = 0.05;
  other.coef0 = 0.5;
  const double other_mean = ref->scalar("mean_other_kernel");
  EXPECT_NEAR(kernel_inception_distance(x, y, other).mean, other_mean, 1e-8 * std::abs(other_mean));

  const double full = ref->scalar("full_mmd");
  EXPECT_NEAR(polynomial_mmd2_unbiased(x.slice(0, 0, 450), y), full, 1e-8 * std::abs(full));

  // The streaming metric: reference = y, evaluated set = x fed in batches and shards.
  KidMetric a(y, options), b(y, options);
  a.update(x.slice(0, 0, 123));
  b.update(x.slice(0, 123, 600));
  a.merge(b);
  EXPECT_NEAR(a.finalize()[kKeyKidMean].get<double>(), mean, 1e-8 * std::abs(mean));
}

}  // namespace
}  // namespace latentlab::metrics
#endif  // LATENTLAB_WITH_ZIP
