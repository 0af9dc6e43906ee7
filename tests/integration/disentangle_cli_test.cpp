// latentlab disentangle end to end on a tiny store: a seeded random tiny-f4d4 VAE (`vae init`) encodes 96
// procedural shapes at 32 x 32 (`cache`); every score runs with small sample sizes, the results JSON carries
// the protocol (reduction, split, lookup mode) and a value for each score, the stdout table lists them,
// and bad input gives one error line naming the option or file, exit 2/1, and no results file.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace latentlab {
namespace {

testing::CommandResult latentlab(const std::string& args) {
  return testing::run_command(std::string(LATENTLAB_BINARY) + " " + args);
}

class DisentangleCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::ScratchDir();
    const auto vae = latentlab("vae init --preset tiny-f4d4 --seed 1 --out " + dir_->file("vae.safetensors"));
    ASSERT_EQ(vae.exit_code, 0) << vae.err;
    const auto cache = latentlab("cache --quiet --threads 1 --batch-size 32 --vae " + dir_->file("vae.safetensors") +
                                 " --data shapes:n=96,res=32 --out " + store());
    ASSERT_EQ(cache.exit_code, 0) << cache.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string store() { return dir_->file("shapes.h5"); }
  static std::string small() {
    return " --quiet --threads 1 --num-train 60 --num-test 36 --batch-size 4 --num-variance-estimate 64";
  }
  static testing::ScratchDir* dir_;
};
testing::ScratchDir* DisentangleCli::dir_ = nullptr;

TEST_F(DisentangleCli, EveryScoreWithProtocolAndTable) {
  const std::string out = dir_->file("all.json");
  const auto r = latentlab("disentangle " + store() + " --out " + out + small());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(testing::read_text(out));
  const auto& protocol = doc["protocol"];
  EXPECT_EQ(protocol["reduction"]["reduction"], "pool");
  EXPECT_EQ(protocol["codes"], 4);  // tiny-f4d4: 4 channels
  EXPECT_EQ(protocol["num_train"].get<int>() + protocol["num_test"].get<int>(), 96);
  EXPECT_EQ(protocol["factor_lookup"]["mode"], "shared");  // 96 random rows never hold the full product
  EXPECT_EQ(protocol["factors"].size(), 8u);
  for (const char* score : {"mig", "sap", "dci", "dci-gbt", "modularity", "explicitness", "beta-vae", "factor-vae"}) {
    ASSERT_TRUE(doc["results"].contains(score)) << score;
    EXPECT_TRUE(doc["results"][score].contains("protocol")) << score;
    EXPECT_NE(r.out.find(score), std::string::npos) << r.out;
  }
  EXPECT_EQ(doc["results"]["dci-gbt"]["protocol"]["importance"], "gbt");
  EXPECT_EQ(doc["results"]["dci"]["protocol"]["importance"], "lasso");
  const double mig = doc["results"]["mig"]["mig"];
  EXPECT_GE(mig, 0.0);
  EXPECT_LE(mig, 1.0);
  EXPECT_EQ(doc["inputs"][0]["role"], "store");
}

TEST_F(DisentangleCli, PcaReductionAndScoreSubset) {
  const std::string out = dir_->file("pca.json");
  const auto r =
      latentlab("disentangle " + store() + " --out " + out + " --reduce pca:6 --scores mig,dci-gbt" + small());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(testing::read_text(out));
  EXPECT_EQ(doc["protocol"]["codes"], 6);
  EXPECT_EQ(doc["protocol"]["reduction"]["components"], 6);
  EXPECT_EQ(doc["results"].size(), 2u);
  EXPECT_FALSE(doc["protocol"].contains("factor_lookup"));
}

TEST_F(DisentangleCli, BadInputIsOneLineAndNoResults) {
  const std::string out = dir_->file("bad.json");
  const auto reduce = latentlab("disentangle " + store() + " --out " + out + " --reduce pca:x");
  EXPECT_EQ(reduce.exit_code, 2);
  EXPECT_NE(reduce.err.find("--reduce"), std::string::npos) << reduce.err;
  const auto scores = latentlab("disentangle " + store() + " --out " + out + " --scores mig,migg");
  EXPECT_EQ(scores.exit_code, 2);
  EXPECT_NE(scores.err.find("unknown score 'migg'"), std::string::npos) << scores.err;
  const auto missing = latentlab("disentangle --quiet " + dir_->file("nope.h5") + " --out " + out);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nope.h5"), std::string::npos) << missing.err;
  EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;
  EXPECT_FALSE(testing::file_exists(out));
}

}  // namespace
}  // namespace latentlab
