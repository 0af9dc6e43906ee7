// models::DiagonalGaussian (lib/models/autoencoder_kl_posterior.cpp): the log-variance clamp, the closed-form KL
// against N(0, I), and seeded sampling.
#include "models/autoencoder_kl_posterior.h"

#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

namespace latentlab::models {
namespace {

TEST(DiagonalGaussianTest, ClampsLogvarAndHasClosedFormKl) {
  // moments: channels 0-1 mean, 2-3 logvar with values far outside [-30, 20].
  auto moments = at::zeros({1, 4, 1, 2});
  moments[0][0].fill_(1.0);
  moments[0][2][0][0] = -100.0;
  moments[0][2][0][1] = 50.0;
  const Posterior q = DiagonalGaussian::from_moments(moments);
  EXPECT_EQ(q.logvar[0][0][0][0].item<double>(), -30.0);
  EXPECT_EQ(q.logvar[0][0][0][1].item<double>(), 20.0);
  EXPECT_FLOAT_EQ(q.std[0][0][0][1].item<float>(), static_cast<float>(std::exp(10.0)));
  EXPECT_FLOAT_EQ(q.std[0][1][0][0].item<float>(), 1.0f);
  EXPECT_TRUE(at::equal(q.mode(), q.mean));

  // KL of N(m, 1) against N(0, 1) is m²/2 per element; of the standard normal, 0.
  auto unit = DiagonalGaussian::from_moments(at::cat({at::full({3, 2, 2, 2}, 0.5), at::zeros({3, 2, 2, 2})}, 1));
  EXPECT_TRUE(at::allclose(unit.kl(), at::full({3}, 8 * 0.125)));
  auto standard = DiagonalGaussian::from_mean_std(at::zeros({2, 4, 3, 3}), at::ones({2, 4, 3, 3}));
  EXPECT_EQ(standard.kl().abs().max().item<double>(), 0.0);

  // Sampling: a seeded generator repeats; the noise has the posterior's scale.
  auto wide = DiagonalGaussian::from_mean_std(at::full({4, 4, 32, 32}, 3.0), at::full({4, 4, 32, 32}, 2.0));
  at::Generator g1 = at::detail::createCPUGenerator(42), g2 = at::detail::createCPUGenerator(42);
  auto a = wide.sample(g1), b = wide.sample(g2);
  EXPECT_TRUE(at::equal(a, b));
  EXPECT_NEAR(a.mean().item<double>(), 3.0, 0.1);  // 16384 draws: the standard error is 2/128
  EXPECT_NEAR(a.std().item<double>(), 2.0, 0.1);
}

}  // namespace
}  // namespace latentlab::models
