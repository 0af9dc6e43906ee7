// Send-VAE mapper (lib/models/sendvae_mapper*.cpp): names, the paper-size parameter count, depth 0, the
// latent BatchNorm's train/eval behaviour, seeded noise injection, the sin-cos positions' closed form, the
// alignment loss's closed forms and grid rule, gradients, and shape errors. The forward against an
// independent PyTorch implementation: tests/reference/models/sendvae_vf_reference_test.cpp.
#include "models/sendvae_mapper.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include <ATen/ATen.h>

#include "models/sendvae_mapper_alignment.h"
#include "models/sendvae_mapper_positions.h"
#include "support/expect_user_error.h"

namespace latentlab::models {
namespace {

using testing::problem_of;

SendVAEMapperConfig tiny(int64_t depth = 1) {
  SendVAEMapperConfig c;
  c.latent_channels = 4;
  c.patch_size = 2;
  c.width = 16;
  c.heads = 2;
  c.depth = depth;
  c.projector_hidden = 24;
  c.teacher_width = 12;
  return c;
}

std::set<std::string> names(SendVAEMapper& m) {
  std::set<std::string> out;
  for (const auto& [name, array] : m->state_arrays()) out.insert(name);
  return out;
}

TEST(SendVAEMapperTest, PaperSizeForDINOv2B) {
  const SendVAEMapperConfig c = SendVAEMapperConfig::for_teacher(32, 1, 768);
  EXPECT_EQ(c.heads, 12);
  EXPECT_EQ(SendVAEMapperConfig::for_teacher(32, 1, 1024).heads, 16);
  at::manual_seed(0);
  SendVAEMapper m(c);
  // PAPER.md §6.2 hand count: patch embed 32·768 + 768; block 4·768 (LNs) + 768·2304 + 2304 + 768·768 + 768 +
  // 768·3072 + 3072 + 3072·768 + 768; projector 768·2048 + 2048 + 2048² + 2048 + 2048·768 + 768.
  EXPECT_EQ(m->parameter_count(), 25344 + 7087872 + 7344896);
}

TEST(SendVAEMapperTest, DepthZeroIsPatchEmbedAndProjector) {
  at::manual_seed(1);
  SendVAEMapper m(tiny(0));
  const std::set<std::string> want = {
      "latent_norm.running_mean", "latent_norm.running_var", "latent_norm.num_batches_tracked",
      "patch_embed.proj.weight",  "patch_embed.proj.bias",   "projector.0.weight",
      "projector.0.bias",         "projector.2.weight",      "projector.2.bias",
      "projector.4.weight",       "projector.4.bias"};
  EXPECT_EQ(names(m), want);
  const auto out = m->forward(at::randn({2, 4, 6, 8}));
  EXPECT_EQ(out.tokens.sizes(), (at::IntArrayRef{2, 12, 12}));
  SendVAEMapper deep(tiny(2));
  EXPECT_TRUE(names(deep).count("blocks.1.attn.qkv.weight"));
  EXPECT_TRUE(names(deep).count("blocks.0.mlp.fc2.bias"));
}

TEST(SendVAEMapperTest, BatchNormRunningStatsUpdateInTrainModeOnly) {
  at::manual_seed(2);
  SendVAEMapper m(tiny());
  const at::Tensor z = at::randn({3, 4, 4, 4}) * 2.0 + 1.0;
  auto mean = [&] { return m->named_buffers()["latent_norm.running_mean"].clone(); };
  auto var = [&] { return m->named_buffers()["latent_norm.running_var"].clone(); };
  m->eval();
  const at::Tensor eval_out = m->normalize(z);
  EXPECT_TRUE(at::equal(mean(), at::zeros({4})));
  EXPECT_TRUE(at::equal(var(), at::ones({4})));
  EXPECT_TRUE(at::allclose(eval_out, z / std::sqrt(1.0 + 1e-4)));  // fresh running stats: (z − 0)/√(1 + eps)
  m->train();
  const at::Tensor train_out = m->normalize(z);
  // Batch statistics: per-channel mean 0 and biased variance v/(v + eps) ≈ 1.
  EXPECT_LT(train_out.mean({0, 2, 3}).abs().max().item<double>(), 1e-5);
  const at::Tensor batch_mean = z.mean({0, 2, 3});
  const at::Tensor batch_var = z.var({0, 2, 3}, /*unbiased=*/true);
  EXPECT_TRUE(at::allclose(mean(), 0.1 * batch_mean, 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(var(), 0.9 + 0.1 * batch_var, 1e-5, 1e-6));
}

TEST(SendVAEMapperTest, SeededNoiseIsDeterministicAndPerSample) {
  const at::Tensor z = at::randn({5, 4, 4, 4});
  auto draw = [&](uint64_t seed) {
    at::Generator g = at::detail::createCPUGenerator(seed);
    return inject_noise(z, g);
  };
  const NoisedLatent a = draw(7), b = draw(7), c = draw(8);
  EXPECT_TRUE(at::equal(a.t, b.t));
  EXPECT_TRUE(at::equal(a.noise, b.noise));
  EXPECT_TRUE(at::equal(a.zt, b.zt));
  EXPECT_FALSE(at::equal(a.t, c.t));
  EXPECT_EQ(a.t.sizes(), (at::IntArrayRef{5}));
  EXPECT_GE(a.t.min().item<double>(), 0.0);
  EXPECT_LT(a.t.max().item<double>(), 1.0);
  EXPECT_GT((a.t - a.t[0]).abs().max().item<double>(), 0.0);  // one t per sample, not one per batch
  EXPECT_TRUE(at::allclose(a.zt, interpolate_noise(z, a.t, a.noise)));
  // The interpolant's end points: t = 0 is the latent, t = 1 the noise.
  const at::Tensor eps = at::randn(z.sizes());
  EXPECT_TRUE(at::equal(interpolate_noise(z, at::zeros({5}), eps), z));
  EXPECT_TRUE(at::equal(interpolate_noise(z, at::ones({5}), eps), eps));
}

TEST(SendVAEMapperTest, SinCosPositionsClosedForm) {
  const at::Tensor pe = sincos_2d_position_embedding(8, 2, 3, at::kDouble);
  ASSERT_EQ(pe.sizes(), (at::IntArrayRef{6, 8}));
  // Token (i = 1, j = 2) = index 5; ω = (1, 10000^(−1/2)); columns first, then rows.
  const double w1 = 0.01;
  const std::vector<double> want = {std::sin(2.0), std::sin(2 * w1), std::cos(2.0), std::cos(2 * w1),
                                    std::sin(1.0), std::sin(w1),     std::cos(1.0), std::cos(w1)};
  for (int k = 0; k < 8; ++k) EXPECT_NEAR(pe[5][k].item<double>(), want[k], 1e-15) << k;
}

TEST(SendVAEMapperTest, AlignmentLossClosedFormsAndGridRule) {
  const at::Tensor f = at::randn({2, 6, 5});
  EXPECT_NEAR(sendvae_alignment_loss(f * 3.0, f, 2, 3).item<double>(), 0.0, 1e-6);  // scale invariant
  EXPECT_NEAR(sendvae_alignment_loss(-f, f, 2, 3).item<double>(), 2.0, 1e-6);
  // A constant teacher map keeps its value under the bilinear resize: 4×4 -> 2×3 pairs with the same vector.
  const at::Tensor v = at::randn({1, 1, 5});
  EXPECT_NEAR(sendvae_alignment_loss(v.expand({1, 6, 5}), v.expand({1, 16, 5}), 2, 3).item<double>(), 0.0, 1e-6);
  EXPECT_CONTAINS(problem_of(
                      [&] {
                        sendvae_alignment_loss(f, at::randn({2, 7, 5}), 2, 3);
                      },
                      "sendvae-alignment"),
                  "7 teacher tokens form no square grid");
  EXPECT_CONTAINS(problem_of(
                      [&] {
                        sendvae_alignment_loss(f, at::randn({2, 6, 4}), 2, 3);
                      },
                      "sendvae-alignment"),
                  "same batch and width");
}

TEST(SendVAEMapperTest, GradientsReachTheLatentAndEveryParameter) {
  at::manual_seed(3);
  SendVAEMapper m(tiny());
  const at::Tensor z = at::randn({2, 4, 4, 6}).set_requires_grad(true);
  at::Generator g = at::detail::createCPUGenerator(1);
  const auto out = m->forward(z, g);
  sendvae_alignment_loss(out.tokens, at::randn({2, 6, 12}), 2, 3).backward();
  EXPECT_GT(z.grad().abs().sum().item<double>(), 0.0);
  for (const auto& p : m->named_parameters()) EXPECT_TRUE(p.value().grad().defined()) << p.key();
}

TEST(SendVAEMapperTest, BadShapesAndConfigs) {
  SendVAEMapper m(tiny());
  EXPECT_CONTAINS(problem_of(
                      [&] {
                        m->forward(at::randn({2, 4, 5, 6}));
                      },
                      "sendvae-mapper"),
                  "multiples of the patch size 2");
  EXPECT_CONTAINS(problem_of([&] { m->forward(at::randn({2, 3, 4, 6})); }, "sendvae-mapper"), "N×4×h×w");
  SendVAEMapperConfig c = tiny();
  c.heads = 3;
  EXPECT_CONTAINS(problem_of([&] { SendVAEMapper bad(c); }, "sendvae-mapper"), "not divisible by 3 heads");
  c = tiny();
  c.depth = -1;
  EXPECT_CONTAINS(problem_of([&] { SendVAEMapper bad(c); }, "sendvae-mapper"), "depth ≥ 0");
}

}  // namespace
}  // namespace latentlab::models
