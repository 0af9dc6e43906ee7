// The latent-normalisation convention (latent_norm.h): normalise/denormalise are inverse per-channel affine
// maps; the JSON form round-trips and is strict; a SiT saved with save_sit_checkpoint loads with its config
// and gives back the same normalisation; a checkpoint without one is refused naming the file; REPA-E's
// BatchNorm statistics map to std = sqrt(var + 1e-4).
#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

#include "core/error.h"
#include "diffusion/latent_norm.h"
#include "models/sit.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab::diffusion {
namespace {

LatentNorm example() {
  LatentNorm n;
  n.mean = {0.5, -1.0, 0.0, 2.0};
  n.std = {2.0, 0.5, 1.0, 4.0};
  n.vae_sha256 = std::string(64, 'a');
  n.vae_preset = "tiny-f4d4";
  n.source = "store:latents.h5";
  return n;
}

TEST(LatentNormTest, NormalizeIsPerChannelAndInverted) {
  const LatentNorm n = example();
  const at::Tensor z = at::randn({2, 4, 3, 3}, at::kDouble);
  const at::Tensor x = n.normalize(z);
  EXPECT_TRUE(at::allclose(x[1][3], (z[1][3] - 2.0) / 4.0));
  EXPECT_TRUE(at::allclose(n.denormalize(x), z, 1e-12, 1e-12));
}

TEST(LatentNormTest, JsonRoundTripAndStrictness) {
  const LatentNorm n = example();
  const LatentNorm back = LatentNorm::from_json_string(n.to_json_string(), "t");
  EXPECT_EQ(back.mean, n.mean);
  EXPECT_EQ(back.std, n.std);
  EXPECT_EQ(back.vae_sha256, n.vae_sha256);
  EXPECT_EQ(back.source, n.source);
  EXPECT_THROW(LatentNorm::from_json_string(R"({"mean": [0], "std": [0]})", "t"), UserError);
  EXPECT_THROW(LatentNorm::from_json_string(R"({"mean": [0], "std": [1], "scale": 2})", "t"), UserError);
  EXPECT_THROW(LatentNorm::from_json_string(R"({"mean": [0, 1], "std": [1]})", "t"), UserError);
  EXPECT_THROW(LatentNorm::from_json_string(R"({"mean": [0], "std": [1], "vae_sha256": "xyz"})", "t"), UserError);
}

TEST(LatentNormTest, CheckpointRoundTripAndRefusal) {
  latentlab::testing::ScratchDir dir;
  const auto config = models::SiTConfig::preset_config("SiT-tiny/1");
  const models::SiT sit(config);
  save_sit_checkpoint(dir.file("with.safetensors"), sit, example());
  models::SiTLoadReport report;
  const auto loaded = models::SiT::load(dir.file("with.safetensors"), {}, &report);
  EXPECT_EQ(report.config_source, "metadata");
  const LatentNorm n = read_latent_norm(dir.file("with.safetensors"), report, config.in_channels);
  EXPECT_EQ(n.mean, example().mean);
  EXPECT_EQ(n.vae_sha256, example().vae_sha256);
  EXPECT_THROW(read_latent_norm(dir.file("with.safetensors"), report, 8), UserError);

  sit.save(dir.file("without.safetensors"));  // SiT::save records no normalisation
  models::SiTLoadReport plain;
  models::SiT::load(dir.file("without.safetensors"), {}, &plain);
  const std::string problem = latentlab::testing::problem_of(
      [&] { read_latent_norm(dir.file("without.safetensors"), plain, 4); }, dir.file("without.safetensors"));
  EXPECT_CONTAINS(problem, "records no latent normalisation");
}

TEST(LatentNormTest, RepaBatchNormStatistics) {
  const LatentNorm n = LatentNorm::from_batch_norm(at::tensor(std::vector<float>{1.0f, -2.0f}),
                                                   at::tensor(std::vector<float>{4.0f, 0.25f}));
  EXPECT_NEAR(n.std[0], std::sqrt(4.0 + 1e-4), 1e-12);
  EXPECT_NEAR(n.std[1], std::sqrt(0.25 + 1e-4), 1e-7);
  EXPECT_EQ(n.mean[1], -2.0);
  EXPECT_EQ(n.source, "repa-e-batchnorm");
}

}  // namespace
}  // namespace latentlab::diffusion
