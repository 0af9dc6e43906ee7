// models::AutoencoderKLConfig (lib/models/autoencoder_kl_config.cpp): JSON round trips of every preset, LDM
// ddconfig keys, presets with overrides, and one error per bad value. Inference of the config from weights is
// tested with the models in autoencoder_kl_test.cpp.
#include "models/autoencoder_kl_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/expect_user_error.h"

namespace latentlab::models {
namespace {

using testing::problem_of;

TEST(AutoencoderKLConfigTest, JsonRoundTripsAndRejectsBadValues) {
  for (const std::string& name : AutoencoderKLConfig::preset_names()) {
    const auto c = AutoencoderKLConfig::preset_config(name);
    const auto back = AutoencoderKLConfig::from_json_string(c.to_json_string(), "cfg");
    EXPECT_EQ(back.to_json(), c.to_json());
  }
  auto f16 = AutoencoderKLConfig::from_json(nlohmann::json{{"preset", "f16d32"}}, "cfg");
  EXPECT_EQ(f16.preset, "f16d32");
  EXPECT_EQ(f16.z_channels, 32);
  auto custom = AutoencoderKLConfig::from_json(nlohmann::json{{"preset", "f16d32"}, {"embed_dim", 16}}, "cfg");
  EXPECT_EQ(custom.preset, "custom");
  EXPECT_EQ(custom.embed_dim, 16);
  // LDM's ddconfig keys (no preset) start from f8d4.
  auto ldm = AutoencoderKLConfig::from_json_string(
      R"({"double_z": true, "z_channels": 4, "resolution": 256, "in_channels": 3, "out_ch": 3, "ch": 128,
          "ch_mult": [1, 2, 4, 4], "num_res_blocks": 2, "attn_resolutions": [], "dropout": 0.0, "embed_dim": 4})",
      "cfg");
  EXPECT_EQ(ldm.preset, "f8d4");

  EXPECT_CONTAINS(problem_of([] { AutoencoderKLConfig::from_json_string(R"({"chh": 3})", "cfg"); }, "cfg"),
                  "unknown AutoencoderKL config key 'chh'");
  EXPECT_CONTAINS(problem_of([] { AutoencoderKLConfig::from_json_string(R"({"ch": 48})", "cfg"); }, "cfg"),
                  "not a multiple of 32");
  EXPECT_CONTAINS(problem_of([] { AutoencoderKLConfig::from_json_string(R"({"ch_mult": "1,2"})", "cfg"); }, "cfg"),
                  "key 'ch_mult': expected a list of integers");
  EXPECT_CONTAINS(problem_of([] { AutoencoderKLConfig::from_json_string(R"({"double_z": false})", "cfg"); }, "cfg"),
                  "double_z must be true");
  EXPECT_CONTAINS(problem_of([] { AutoencoderKLConfig::from_json_string("{", "cfg"); }, "cfg"), "not valid JSON");
  EXPECT_CONTAINS(problem_of([] { AutoencoderKLConfig::preset_config("f8d5"); }, "f8d5"),
                  "unknown AutoencoderKL preset (known: f8d4, f16d16, f16d32, tiny-f4d4, small-f8d8)");
}

}  // namespace
}  // namespace latentlab::models
