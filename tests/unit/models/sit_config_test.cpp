// models::SiTConfig (lib/models/sit_config.cpp): presets and their parameter counts, JSON round trips and one
// error per bad value. Inference from weights is tested with built models in sit_test.cpp; the counts of
// every preset are checked against the Python reference in tests/reference/models/sit_reference_test.cpp.
#include "models/sit_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/expect_user_error.h"

namespace latentlab::models {
namespace {

using testing::problem_of;

TEST(SiTConfigTest, PresetsHaveTheirSizes) {
  EXPECT_EQ(SiTConfig::preset_names().size(), 14u);
  const SiTConfig xl = SiTConfig::preset_config("SiT-XL/2");
  EXPECT_EQ(xl.depth, 28);
  EXPECT_EQ(xl.hidden_size, 1152);
  EXPECT_EQ(xl.num_heads, 16);
  EXPECT_EQ(xl.encoder_depth, 8);
  EXPECT_EQ(xl.tokens(), 256);  // 4×32×32 f8d4 latents in 2×2 patches
  EXPECT_FALSE(xl.learn_sigma);
  const SiTConfig b1 = SiTConfig::preset_config("SiT-B/1");
  EXPECT_EQ(b1.encoder_depth, 4);
  EXPECT_EQ(b1.in_channels, 32);  // f16d32 latents, 16×16 = 256 tokens
  EXPECT_EQ(b1.tokens(), 256);
  EXPECT_EQ(SiTConfig::preset_config("SiT-S/4").num_heads, 6);
  EXPECT_EQ(SiTConfig::preset_config("SiT-L/1").hidden_size, 1024);
}

TEST(SiTConfigTest, XL2CountEqualsThePublishedDiTCount) {
  // DiT-XL/2 (learn_sigma, no projector) prints 675,129,632 parameters, its frozen pos_embed included.
  SiTConfig dit = SiTConfig::preset_config("SiT-XL/2");
  dit.learn_sigma = true;
  EXPECT_EQ(dit.parameter_count(false) + dit.tokens() * dit.hidden_size, 675129632);
  // REPA's SiT-XL/2 predicts C channels: 16·1152 + 16 fewer; the DINOv2-B projector adds 8.1 M.
  const SiTConfig repa = SiTConfig::preset_config("SiT-XL/2");
  EXPECT_EQ(repa.parameter_count(false), 675129632 - 294912 - 18448);
  EXPECT_EQ(repa.parameter_count(true) - repa.parameter_count(false),
            1152 * 2048 + 2048 + 2048 * 2048 + 2048 + 2048 * 768 + 768);
}

TEST(SiTConfigTest, JsonRoundTripsAndRejectsBadValues) {
  for (const std::string& name : SiTConfig::preset_names()) {
    const SiTConfig c = SiTConfig::preset_config(name);
    EXPECT_EQ(SiTConfig::from_json_string(c.to_json_string(), "cfg").to_json(), c.to_json()) << name;
  }
  const SiTConfig custom = SiTConfig::from_json(nlohmann::json{{"preset", "SiT-B/2"}, {"z_dims", {1024, 768}}}, "cfg");
  EXPECT_EQ(custom.preset, "custom");
  EXPECT_EQ(custom.z_dims, (std::vector<int64_t>{1024, 768}));
  EXPECT_EQ(custom.hidden_size, 768);
  EXPECT_EQ(SiTConfig::from_json_string(R"({"preset": "SiT-tiny/1"})", "cfg").preset, "SiT-tiny/1");
  EXPECT_EQ(SiTConfig::from_json_string("{}", "cfg").preset, "SiT-XL/2");

  auto problem = [](const std::string& json) {
    return problem_of([&] { SiTConfig::from_json_string(json, "cfg"); }, "cfg");
  };
  EXPECT_CONTAINS(problem(R"({"hiden_size": 3})"), "unknown SiT config key 'hiden_size'");
  EXPECT_CONTAINS(problem(R"({"num_heads": 7})"), "hidden_size 1152 is not divisible by num_heads 7");
  EXPECT_CONTAINS(problem(R"({"input_size": 33})"), "input_size 33 is not a multiple of patch_size 2");
  EXPECT_CONTAINS(problem(R"({"encoder_depth": 29})"), "encoder_depth must be in 1..depth = 28");
  EXPECT_CONTAINS(problem(R"({"z_dims": "768"})"), "key 'z_dims': expected a list of integers");
  EXPECT_CONTAINS(problem(R"({"learn_sigma": 1})"), "key 'learn_sigma': expected true or false");
  EXPECT_CONTAINS(problem(R"({"class_dropout_prob": 1.0})"), "class_dropout_prob must be in [0, 1)");
  EXPECT_CONTAINS(problem(R"({"hidden_size": 6, "num_heads": 1})"), "multiple of 4");
  EXPECT_CONTAINS(problem("["), "not valid JSON");
  // No projector: encoder_depth does not matter.
  EXPECT_NO_THROW(SiTConfig::from_json_string(R"({"z_dims": [], "encoder_depth": 0})", "cfg"));
  EXPECT_CONTAINS(problem_of([] { SiTConfig::preset_config("SiT-XL/3"); }, "SiT-XL/3"),
                  "unknown SiT preset (known: SiT-S/1, SiT-S/2");
}

}  // namespace
}  // namespace latentlab::models
