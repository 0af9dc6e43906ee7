#include "io/rename_map.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace latentlab::io {
namespace {

Array scalar(float v) {
  return Array::copy_of(DType::F32, {}, &v, sizeof v);
}

TEST(RenameMap, ExactBeatsPrefixAndLongestPrefixWins) {
  const auto map = RenameMap::parse(
      "# LDM -> ours\nfirst_stage_model.  vae.\nfirst_stage_model.encoder.  enc.\n"
      "first_stage_model.quant_conv.weight  qc.w\nloss.  -\n",
      "map.txt");
  EXPECT_EQ(map.apply("first_stage_model.decoder.conv_in.weight"), "vae.decoder.conv_in.weight");
  EXPECT_EQ(map.apply("first_stage_model.encoder.conv_in.bias"), "enc.conv_in.bias");
  EXPECT_EQ(map.apply("first_stage_model.quant_conv.weight"), "qc.w");
  EXPECT_EQ(map.apply("loss.logvar"), "");
  EXPECT_EQ(map.apply("other"), "other");
}

TEST(RenameMap, ReportsUnusedRulesAndCollisions) {
  const NamedArrays arrays = {{"a.x", scalar(1)}, {"b.x", scalar(2)}, {"c", scalar(3)}};
  std::vector<std::string> unused;
  const auto out = rename_arrays(arrays, RenameMap::parse("a. z.\nq. r.\nc -\n", "m"), &unused, "m");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].first, "z.x");
  EXPECT_EQ(unused, std::vector<std::string>{"q."});
  EXPECT_THROW(rename_arrays(arrays, RenameMap::parse("a. b.\n", "m"), nullptr, "m"), UserError);
}

TEST(RenameMap, MalformedLinesNameTheLine) {
  for (const char* bad : {"onlyone\n", "a b c\n", "a. b\n", "x x\nx y\n"}) {
    try {
      RenameMap::parse(bad, "map.txt");
      FAIL() << bad;
    } catch (const UserError& e) {
      EXPECT_EQ(e.subject(), "map.txt");
      EXPECT_NE(e.problem().find("line"), std::string::npos) << e.problem();
    }
  }
}

TEST(SelectPrefix, StripsAndFailsClearlyWhenNothingMatches) {
  const NamedArrays arrays = {{"ema.w", scalar(1)}, {"model.w", scalar(2)}};
  const auto ema = select_prefix(arrays, "ema.", "f");
  ASSERT_EQ(ema.size(), 1u);
  EXPECT_EQ(ema[0].first, "w");
  EXPECT_EQ(select_prefix(arrays, "", "f").size(), 2u);
  EXPECT_THROW(select_prefix(arrays, "net.", "f"), UserError);
}

}  // namespace
}  // namespace latentlab::io
