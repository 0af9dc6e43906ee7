// EQ-VAE equivariance errors (metrics/analysis/equivariance.h) on toy autoencoders whose answers are known:
// a per-pixel invertible linear map commutes with every per-channel linear resampling and with rotations,
// so all errors are 0; a position-dependent encoder is not equivariant. Also the transforms themselves.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "metrics/analysis/equivariance.h"
#include "support/expect_user_error.h"

namespace latentlab::metrics {
namespace {

// z = W x per pixel (3 → 3 channels), x = W⁻¹ z.
at::Tensor pixelwise_map(const at::Tensor& w, const at::Tensor& maps) {
  return at::einsum("oc,nchw->nohw", {w, maps});
}

TEST(Equivariance, ExactlyEquivariantToyIsZero) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(1);
  const auto w = at::randn({3, 3}, g, at::TensorOptions().dtype(at::kDouble)) + 3.0 * at::eye(3, at::kDouble);
  const auto w_inv = at::inverse(w);
  EquivarianceAccumulator acc([&](const at::Tensor& x) { return pixelwise_map(w, x); },
                              [&](const at::Tensor& z) { return pixelwise_map(w_inv, z); },
                              parse_spatial_transforms("default", "--transforms"));
  const auto images = at::rand({2, 3, 16, 16}, g, at::TensorOptions().dtype(at::kDouble)) * 2 - 1;
  acc.update(images.slice(0, 0, 1));
  acc.update(images.slice(0, 1, 2));
  const auto r = acc.finalize();
  EXPECT_EQ(r["images"], 2);
  ASSERT_EQ(r["transforms"].size(), 5u);
  for (const auto& [name, e] : r["transforms"].items()) {
    EXPECT_LT(e["decoder_mse"].get<double>(), 1e-24) << name;
    EXPECT_LT(e["reference_mse"].get<double>(), 1e-24) << name;
    EXPECT_LT(e["latent_error"].get<double>(), 1e-24) << name;
  }
}

TEST(Equivariance, PositionDependentEncoderIsNot) {
  // E adds a horizontal ramp; D subtracts it. Then D(E(τx)) = τx exactly (reference 0), but
  // τE(x) = τx + τ(ramp) ≠ E(τx) for a rotation, and D(τE(x)) − τx = τ(ramp) − ramp.
  const auto ramp = at::arange(8, at::kDouble).view({1, 1, 1, 8}).expand({1, 3, 8, 8});
  EquivarianceAccumulator acc(
      [&](const at::Tensor& x) { return x + ramp.slice(2, 0, x.size(2)).slice(3, 0, x.size(3)); },
      [&](const at::Tensor& z) { return z - ramp.slice(2, 0, z.size(2)).slice(3, 0, z.size(3)); },
      parse_spatial_transforms("rot:90", "--transforms"));
  acc.update(at::zeros({1, 3, 8, 8}, at::kDouble));
  const auto e = acc.finalize()["transforms"]["rot:90"];
  EXPECT_DOUBLE_EQ(e["reference_mse"].get<double>(), 0.0);
  // τ(ramp)(i, j) = ramp value of the rotated map: a vertical ramp 7 − i; minus the horizontal ramp j.
  const auto diff = at::rot90(ramp, 1, {2, 3}) - ramp;
  EXPECT_NEAR(e["decoder_mse"].get<double>(), diff.pow(2).mean().item<double>(), 1e-12);
  EXPECT_NEAR(e["latent_error"].get<double>(),
              diff.pow(2).sum().item<double>() / at::rot90(ramp, 1, {2, 3}).pow(2).sum().item<double>(), 1e-12);
}

TEST(Equivariance, TransformsAndTheirErrors) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(2);
  const auto maps = at::randn({2, 3, 8, 12}, g, at::TensorOptions().dtype(at::kDouble));
  const auto t = parse_spatial_transforms("scale:0.5,rot:90,rot:180,rot:270", "--transforms");
  ASSERT_EQ(t.size(), 4u);
  // Bilinear ×0.5 without antialias (align_corners=False) averages each 2×2 block.
  EXPECT_TRUE(at::allclose(t[0].apply(maps), at::avg_pool2d(maps, {2, 2}), 0, 1e-12));
  EXPECT_TRUE(at::equal(t[1].apply(t[3].apply(maps)), maps));
  EXPECT_TRUE(at::equal(t[2].apply(maps), at::flip(maps, {2, 3})));
  EXPECT_CONTAINS(testing::problem_of([] { parse_spatial_transforms("rot:45", "--transforms"); }, "--transforms"),
                  "unknown transform 'rot:45'");
  EXPECT_CONTAINS(testing::problem_of([] { parse_spatial_transforms("scale:2", "--transforms"); }, "--transforms"),
                  "number in (0, 1)");
}

}  // namespace
}  // namespace latentlab::metrics
