// The VAE loss terms against hand-computed values (PAPER.md §4.1): pixel L1/MSE with mean and sum
// reductions, the LPIPS reduction, and the KL of a diagonal Gaussian.
#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

#include "train/vae_losses.h"

namespace latentlab::train {
namespace {

TEST(VaeLosses, PixelTermsBothReductions) {
  // B = 2, C·H·W = 2: differences (0.5, −1) and (0, 2).
  const at::Tensor x = at::tensor({0.5f, -1.0f, 0.0f, 2.0f}).view({2, 2, 1, 1});
  const at::Tensor r = at::zeros({2, 2, 1, 1});
  EXPECT_FLOAT_EQ(pixel_loss(x, r, "l1", Reduction::Mean).item<float>(), 3.5f / 4);
  EXPECT_FLOAT_EQ(pixel_loss(x, r, "l1", Reduction::Sum).item<float>(), 3.5f / 2);
  EXPECT_FLOAT_EQ(pixel_loss(x, r, "mse", Reduction::Mean).item<float>(), 5.25f / 4);
  EXPECT_FLOAT_EQ(pixel_loss(x, r, "mse", Reduction::Sum).item<float>(), 5.25f / 2);
}

TEST(VaeLosses, LpipsReductionBroadcastsOverPixelsForSum) {
  const at::Tensor per_image = at::tensor({0.2f, 0.4f});
  EXPECT_FLOAT_EQ(lpips_loss(per_image, 3 * 4 * 4, Reduction::Mean).item<float>(), 0.3f);
  EXPECT_FLOAT_EQ(lpips_loss(per_image, 3 * 4 * 4, Reduction::Sum).item<float>(), 0.3f * 48);
}

TEST(VaeLosses, KlOfADiagonalGaussian) {
  // One sample, two latent values: (μ, log σ²) = (1, 0) and (0, log 4).
  const at::Tensor moments = at::tensor({1.0f, 0.0f, 0.0f, std::log(4.0f)}).view({1, 4, 1, 1});
  const auto posterior = models::Posterior::from_moments(moments);
  const double want = 0.5 * ((1 + 1 - 1 - 0) + (0 + 4 - 1 - std::log(4.0)));
  EXPECT_NEAR(kl_loss(posterior).item<double>(), want, 1e-6);
  // The batch mean of per-sample sums: a second sample at the prior adds 0.
  const at::Tensor two = at::cat({moments, at::zeros({1, 4, 1, 1})});
  EXPECT_NEAR(kl_loss(models::Posterior::from_moments(two)).item<double>(), want / 2, 1e-6);
}

}  // namespace
}  // namespace latentlab::train
