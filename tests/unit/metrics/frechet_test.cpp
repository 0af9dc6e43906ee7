// Fréchet distance against closed forms and against scipy's sqrtm (the pytorch-fid/ADM computation) on a
// grid of Gaussian feature statistics, including rank-deficient covariances (N < C); and the fast
// Cholesky route against the slow symmetric-eigh route it replaces where covariances are positive definite.
#include "metrics/generative/frechet.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <tuple>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "core/error.h"
#ifdef LATENTLAB_WITH_ZIP
#include "io/npz.h"
#include "io/tensor_convert.h"
#endif
#include "support/test_support.h"

namespace latentlab::metrics {
namespace {

at::Tensor random_covariance(int64_t d, uint64_t seed) {
  at::manual_seed(seed);
  const auto a = at::randn({d, 2 * d}, at::kDouble);
  return at::matmul(a, a.t()) / (2 * d);
}

TEST(Frechet, EqualCovariancesLeaveTheMeanTerm) {
  const auto sigma = random_covariance(64, 1);
  const auto mu1 = at::randn({64}, at::kDouble), mu2 = at::randn({64}, at::kDouble);
  const double expected = (mu1 - mu2).pow(2).sum().item<double>();
  // tr S + tr S - 2 tr S cancels up to the eigensolver's rounding on the trace (~1e-13 of it).
  EXPECT_NEAR(frechet_distance(mu1, sigma, mu2, sigma), expected, 1e-10 * sigma.trace().item<double>());
}

TEST(Frechet, IsotropicGaussiansHaveAClosedForm) {
  const int64_t d = 100;
  const double a = 0.7, b = 1.9;
  const auto mu1 = at::full({d}, 0.5, at::kDouble), mu2 = at::zeros({d}, at::kDouble);
  const auto eye = at::eye(d, at::kDouble);
  // |mu1 - mu2|^2 + d (a - b)^2 = 100 * 0.25 + 100 * 1.44
  EXPECT_NEAR(frechet_distance(mu1, a * a * eye, mu2, b * b * eye), 25 + 144, 1e-9);
}

TEST(Frechet, SymmetricInItsArgumentsAndZeroOnItself) {
  const auto s1 = random_covariance(32, 2), s2 = random_covariance(32, 3);
  const auto m1 = at::randn({32}, at::kDouble), m2 = at::randn({32}, at::kDouble);
  EXPECT_NEAR(frechet_distance(m1, s1, m2, s2), frechet_distance(m2, s2, m1, s1), 1e-10);
  EXPECT_NEAR(frechet_distance(m1, s1, m1, s1), 0.0, 1e-10);
}

TEST(Frechet, RankDeficientCovariancesStayFinite) {
  at::manual_seed(4);
  const auto x = at::randn({5, 64}, at::kDouble), y = at::randn({7, 64}, at::kDouble);  // N < D
  auto cov = [](const at::Tensor& f) {
    const auto c = f - f.mean(0);
    return at::matmul(c.t(), c) / (f.size(0) - 1);
  };
  const double d = frechet_distance(x.mean(0), cov(x), y.mean(0), cov(y));
  EXPECT_TRUE(std::isfinite(d));
  EXPECT_GT(d, 0);
}

// Sample covariance of n Gaussian samples in d dimensions (rank n - 1 when n <= d).
at::Tensor sample_covariance(int64_t n, int64_t d, uint64_t seed) {
  at::manual_seed(seed);
  const auto x = at::randn({n, d}, at::kDouble);
  const auto c = x - x.mean(0);
  return at::matmul(c.t(), c) / (n - 1);
}

double relative_difference(double a, double b) {
  return std::abs(a - b) / std::abs(b);
}

// Fast path against the exact slow path (STYLE.md). Tolerance 1e-10 relative: both routes are backward stable
// (errors ~ D eps cond in the smallest eigenvalues, far smaller in the sum) and observed to agree to ~1e-14.
// D = 300 spans two blocks of the blocked triangular products, the second one partial.
TEST(Frechet, CholeskyRouteAgreesWithTheSymmetricRoute) {
  for (const int64_t d : {1, 2, 17, 300}) {
    const auto s1 = random_covariance(d, 10 + d), s2 = random_covariance(d, 20 + d) * 1.7;
    FrechetDetails details;
    const double fast = trace_sqrt_product(s1, s2, &details);
    const double slow = trace_sqrt_product_symmetric(s1, s2);
    std::printf("D = %lld: fast %.15g slow %.15g relative difference %.3g (pivot ratios %.3g %.3g)\n",
                static_cast<long long>(d), fast, slow, relative_difference(fast, slow), details.pivot_ratio1,
                details.pivot_ratio2);
    EXPECT_EQ(details.route, TraceSqrtRoute::CholeskyEigvalsh) << d;
    EXPECT_TRUE(details.factored == 1 || details.factored == 2) << d;
    EXPECT_LT(relative_difference(fast, slow), 1e-10) << d;
  }
}

// The first safely positive definite covariance is factored, even a worse-conditioned one (the result agrees
// with the exact route either way); a rank-deficient one is never factored, and the other, positive definite,
// still gives the fast route.
TEST(Frechet, FactorsTheFirstSafelyPositiveDefiniteCovariance) {
  const int64_t d = 96;
  const auto good = random_covariance(d, 5);
  // Positive definite with eigenvalues spread over 8 decades: passes the criterion, worse conditioned.
  at::manual_seed(6);
  const auto q = std::get<0>(at::linalg_qr(at::randn({d, d}, at::kDouble)));
  const auto spread = at::matmul(q * at::logspace(0, -8, d, 10, at::kDouble), q.t());
  const auto singular = sample_covariance(40, d, 7);  // rank 39
  for (const auto& [s1, s2, expected] : std::vector<std::tuple<at::Tensor, at::Tensor, int>>{
           {good, spread, 1}, {spread, good, 1}, {singular, good, 2}, {good, singular, 1}, {spread, singular, 1}}) {
    FrechetDetails details;
    const double fast = trace_sqrt_product(s1, s2, &details);
    EXPECT_EQ(details.route, TraceSqrtRoute::CholeskyEigvalsh);
    EXPECT_EQ(details.factored, expected);
    const double slow = trace_sqrt_product_symmetric(s1, s2);
    EXPECT_LT(relative_difference(fast, slow), 1e-10) << fast << " vs " << slow;
  }
}

// Rank-deficient covariances on both sides (N <= D) take the symmetric-eigh fallback, bit for bit, and the
// routes are reported.
TEST(Frechet, RankDeficientCovariancesTakeTheFallback) {
  for (const auto& [n, d] : std::vector<std::pair<int64_t, int64_t>>{{2, 2}, {5, 64}, {64, 64}, {200, 256}}) {
    const auto s1 = sample_covariance(n, d, 8), s2 = sample_covariance(n, d, 9) * 2.5;
    FrechetDetails details;
    const double value = trace_sqrt_product(s1, s2, &details);
    EXPECT_EQ(details.route, TraceSqrtRoute::SymmetricEigh) << n << "x" << d;
    EXPECT_EQ(details.factored, 0);
    EXPECT_EQ(value, trace_sqrt_product_symmetric(s1, s2));
    EXPECT_TRUE(std::isfinite(value));
  }
  FrechetDetails details;
  const auto zero = at::zeros({8, 8}, at::kDouble);
  EXPECT_EQ(trace_sqrt_product(zero, zero, &details), 0.0);
  EXPECT_EQ(details.route, TraceSqrtRoute::SymmetricEigh);
  EXPECT_EQ(details.pivot_ratio1, -1);
  EXPECT_STREQ(route_name(TraceSqrtRoute::CholeskyEigvalsh), "cholesky-eigvalsh");
  EXPECT_STREQ(route_name(TraceSqrtRoute::SymmetricEigh), "symmetric-eigh");
}

TEST(Frechet, BadStatisticsAreUserErrors) {
  const auto eye = at::eye(3, at::kDouble);
  EXPECT_THROW(frechet_distance(at::zeros({3}), eye, at::zeros({4}), eye), UserError);
  EXPECT_THROW(frechet_distance(at::zeros({3}), at::eye(2), at::zeros({3}), eye), UserError);
  EXPECT_THROW(frechet_distance(at::zeros({3}), eye * NAN, at::zeros({3}), eye), UserError);
}

#ifdef LATENTLAB_WITH_ZIP  // the reference arrives as an .npz
TEST(Frechet, AgreesWithScipySqrtmOnTheGaussianGrid) {
  ASSERT_TRUE(testing::reference_python_has("numpy, scipy")) << "Debian's python3-scipy is required";
  testing::ScratchDir dir;
  const auto r = testing::run_reference_python("frechet_reference.py", dir.file("grid.npz"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  io::NpzReader npz(dir.file("grid.npz"));
  int compared = 0;
  for (int log_n = 1; log_n < 12; ++log_n)
    for (int log_c = 1; log_c < 8; ++log_c) {
      const std::string key = std::to_string(1 << log_n) + "_" + std::to_string(1 << log_c);
      auto get = [&](const std::string& name) { return io::to_tensor(npz.read(name + "_" + key)); };
      FrechetDetails details;
      const double ours = frechet_distance(get("mu1"), get("sigma1"), get("mu2"), get("sigma2"), &details);
      const double scipy = get("fid").item<double>();
      ASSERT_TRUE(std::isfinite(ours)) << key;
      if (log_n > log_c) {
        // Full-rank covariances: 5 decimals, the agreement torch-fidelity established between its
        // eigenvalue method and scipy.
        EXPECT_NEAR(ours, scipy, 1e-5) << "N_C = " << key;
        EXPECT_EQ(details.route, TraceSqrtRoute::CholeskyEigvalsh) << "N_C = " << key;
      } else {
        // Rank-deficient covariances: the exact low-rank identity is the oracle. Each of the C - N + 1 null
        // eigenvalues of S1^(1/2) S2 S1^(1/2) comes out of the eigensolver as noise of size up to
        // C eps lambda_max; the ones above the rank cutoff add sqrt(noise) to the trace, twice in the
        // distance. sqrtm of the singular product suffers the same way, which is why scipy is off by up to
        // ~1e-5 here (it must still agree to 1e-7 relative).
        const double exact = get("lowrank").item<double>();
        const double lambda_max = at::linalg_eigvalsh(get("sigma1")).max().item<double>() *
                                  at::linalg_eigvalsh(get("sigma2")).max().item<double>();
        const double null_dims = (1 << log_c) - (1 << log_n) + 1;
        const double noise = 2 * null_dims * std::sqrt((1 << log_c) * 2.220446049250313e-16 * lambda_max);
        EXPECT_NEAR(ours, exact, noise) << "N_C = " << key;
        EXPECT_NEAR(ours, scipy, 1e-7 * std::abs(scipy)) << "N_C = " << key;
        EXPECT_EQ(details.route, TraceSqrtRoute::SymmetricEigh) << "N_C = " << key;
      }
      ++compared;
    }
  EXPECT_EQ(compared, 77);
}
#endif

}  // namespace
}  // namespace latentlab::metrics
