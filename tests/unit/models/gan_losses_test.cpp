// GAN loss terms (lib/models/gan_losses.cpp) against hand-computed values: hinge and vanilla D losses,
// both generator losses, the adaptive weight on a graph whose gradients are known in closed form, its clamp,
// and the discriminator start factor. The Python cross-check is in tests/reference/models/.
#include "models/gan_losses.h"

#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

#include "support/expect_user_error.h"

namespace latentlab::models {
namespace {

using testing::problem_of;

double softplus(double x) {
  return std::log1p(std::exp(x));
}

const at::Tensor kReal = at::tensor({2.0, 0.5, -1.0, 1.0}, at::kDouble).reshape({1, 1, 2, 2});
const at::Tensor kFake = at::tensor({-3.0, 0.0, 0.25, -1.0}, at::kDouble).reshape({1, 1, 2, 2});

TEST(GanLossesTest, HingeClosedForm) {
  // relu(1 − real) = 0, 0.5, 2, 0 -> 0.625; relu(1 + fake) = 0, 1, 1.25, 0 -> 0.5625.
  EXPECT_DOUBLE_EQ(hinge_d_loss(kReal, kFake).item<double>(), 0.5 * (0.625 + 0.5625));
  EXPECT_DOUBLE_EQ(discriminator_loss(DiscriminatorLoss::Hinge, kReal, kFake).item<double>(), 0.59375);
  // A perfect discriminator (margins met) has zero loss.
  EXPECT_EQ(hinge_d_loss(at::full({2, 1, 3, 3}, 1.5), at::full({2, 1, 3, 3}, -1.0)).item<double>(), 0.0);
}

TEST(GanLossesTest, VanillaClosedForm) {
  const double real = (softplus(-2) + softplus(-0.5) + softplus(1) + softplus(-1)) / 4;
  const double fake = (softplus(-3) + softplus(0) + softplus(0.25) + softplus(-1)) / 4;
  EXPECT_NEAR(vanilla_d_loss(kReal, kFake).item<double>(), 0.5 * (real + fake), 1e-15);
  EXPECT_NEAR(discriminator_loss(DiscriminatorLoss::Vanilla, kReal, kFake).item<double>(), 0.5 * (real + fake), 1e-15);
  // At logits 0 both terms are log 2.
  EXPECT_NEAR(vanilla_d_loss(at::zeros({3}, at::kDouble), at::zeros({3}, at::kDouble)).item<double>(), std::log(2.0),
              1e-15);
}

TEST(GanLossesTest, GeneratorLosses) {
  EXPECT_DOUBLE_EQ(generator_loss(kFake).item<double>(), -(-3.0 + 0.0 + 0.25 - 1.0) / 4);
  const double nonsat = (softplus(3) + softplus(0) + softplus(-0.25) + softplus(1)) / 4;
  EXPECT_NEAR(generator_loss(kFake, GeneratorLoss::NonSaturating).item<double>(), nonsat, 1e-15);
}

TEST(GanLossesTest, AdaptiveWeightClosedForm) {
  // nll = 3·Σ L and g = −2·Σ L over n = 6 entries: gradients 3 and −2 everywhere, norms 3√6 and 2√6.
  const at::Tensor layer = at::randn({2, 3}, at::kDouble).set_requires_grad(true);
  const at::Tensor nll = 3.0 * layer.sum(), g = -2.0 * layer.sum();
  const double want = 3 * std::sqrt(6.0) / (2 * std::sqrt(6.0) + 1e-4);
  EXPECT_NEAR(adaptive_gan_weight(nll, g, layer, 0.5).item<double>(), want * 0.5, 1e-14);
  EXPECT_FALSE(adaptive_gan_weight(nll, g, layer, 0.5).requires_grad());  // detached
  // A vanishing generator gradient: the ratio ~1.5e5·√6 is clamped to 1e4 before scaling.
  EXPECT_DOUBLE_EQ(adaptive_gan_weight(nll, g * 1e-12, layer, 0.8).item<double>(), 1e4 * 0.8);
  EXPECT_NEAR(adaptive_weight(nll, g * 1e-12, layer, 1e8, 1.0).item<double>(),
              3 * std::sqrt(6.0) / (2e-12 * std::sqrt(6.0) + 1e-4), 1e-6);
}

TEST(GanLossesTest, DiscriminatorStartFactor) {
  EXPECT_EQ(disc_start_factor(1.0, 0, 5001), 0.0);
  EXPECT_EQ(disc_start_factor(1.0, 5000, 5001), 0.0);
  EXPECT_EQ(disc_start_factor(1.0, 5001, 5001), 1.0);
  EXPECT_EQ(disc_start_factor(0.7, 0, 0), 0.7);
}

TEST(GanLossesTest, ParsingNamesTheOption) {
  EXPECT_EQ(parse_discriminator_loss("hinge", "--disc-loss"), DiscriminatorLoss::Hinge);
  EXPECT_EQ(parse_discriminator_loss("vanilla", "--disc-loss"), DiscriminatorLoss::Vanilla);
  EXPECT_EQ(parse_generator_loss("non-saturating", "--gen-loss"), GeneratorLoss::NonSaturating);
  EXPECT_CONTAINS(problem_of([] { parse_discriminator_loss("hinj", "--disc-loss"); }, "--disc-loss"),
                  "unknown discriminator loss 'hinj' (known: hinge, vanilla)");
  EXPECT_CONTAINS(problem_of([] { parse_generator_loss("x", "--gen-loss"); }, "--gen-loss"), "known: mean");
}

}  // namespace
}  // namespace latentlab::models
