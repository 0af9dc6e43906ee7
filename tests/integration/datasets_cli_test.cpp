// latentlab datasets make|info end to end: files written, reruns skipped, conflicts refused, no partial output.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace latentlab {
namespace {

testing::CommandResult latentlab(const std::string& args) {
  return testing::run_command(std::string(LATENTLAB_BINARY) + " " + args);
}

TEST(DatasetsCli, MakeWritesImagesCsvAndManifestThenSkipsAndRefuses) {
  testing::ScratchDir dir;
  const std::string out = dir.file("shapes");
  const auto r = latentlab("datasets make shapes --quiet --n 40 --res 32 --seed 3 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(testing::file_exists(out + "/images/000039.png"));
  const std::string csv = testing::read_text(out + "/attributes.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 41);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "filename,label,shape,scale,rotation,x,y,hue,background,texture");
  const auto manifest = nlohmann::json::parse(testing::read_text(out + "/dataset.json"));
  EXPECT_EQ(manifest["spec"], "shapes:seed=3,n=40,res=32");
  EXPECT_EQ(manifest["attributes"].size(), 8u);

  const auto again = latentlab("datasets make shapes --quiet --n 40 --res 32 --seed 3 --out " + out);
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find("nothing to do"), std::string::npos);

  const auto other = latentlab("datasets make shapes --quiet --n 41 --res 32 --seed 3 --out " + out);
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("already holds another dataset"), std::string::npos) << other.err;
  EXPECT_EQ(dir.list(), std::vector<std::string>{"shapes"});  // no *.partial-* left behind
}

TEST(DatasetsCli, InfoDescribesFactorsAndRejectsBadSpecs) {
  const auto r = latentlab("datasets info --json --scan 16 dsprites:grid");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["size"], 737280);
  EXPECT_EQ(doc["resolutions"]["64x64"], 16);
  EXPECT_EQ(doc["attributes"][4]["name"], "posY");
  // The embedded labelled set (Debian's dataset-fashion-mnist, installed by tools/install-deps.sh).
  const auto fashion = latentlab("datasets info --json --scan 100 fashion-mnist:split=test");
  ASSERT_EQ(fashion.exit_code, 0) << fashion.err;
  EXPECT_EQ(nlohmann::json::parse(fashion.out)["size"], 10000);
  EXPECT_EQ(nlohmann::json::parse(fashion.out)["resolutions"]["28x28"], 100);
  for (const char* bad : {"shapes:res=16", "shapes:colour=3", "blobs", "shapes:n=x", "fashion-mnist:fold=1"}) {
    const auto e = latentlab(std::string("datasets info ") + bad);
    EXPECT_EQ(e.exit_code, 2) << bad << "\n" << e.err;
    EXPECT_NE(e.err.find(bad), std::string::npos) << e.err;
  }
}

}  // namespace
}  // namespace latentlab

namespace latentlab {
namespace {

TEST(DatasetsCli, CheckStopsOnABadImageOrSkipsAndListsIt) {
  testing::ScratchDir dir;
  const std::string data = dir.file("data");
  ASSERT_EQ(latentlab("datasets make shapes --quiet --n 12 --res 32 --out " + data).exit_code, 0);
  testing::write_bytes(data + "/images/000005.png", "not an image");
  const std::string spec = "images:" + data + "/images";

  const auto stop =
      latentlab("datasets check --quiet --preprocess center-crop --res 16 --out " + dir.file("stop.json") + " " + spec);
  EXPECT_EQ(stop.exit_code, 1);
  EXPECT_NE(stop.err.find("000005.png: cannot decode image"), std::string::npos) << stop.err;
  EXPECT_FALSE(testing::file_exists(dir.file("stop.json")));

  const auto skip = latentlab("datasets check --quiet --on-bad-image skip --preprocess center-crop --res 16 --out " +
                              dir.file("skip.json") + " " + spec);
  ASSERT_EQ(skip.exit_code, 0) << skip.err;
  const auto doc = nlohmann::json::parse(testing::read_text(dir.file("skip.json")));
  EXPECT_EQ(doc["results"]["images"], 11);
  EXPECT_EQ(doc["results"]["skipped_items"][0]["index"], 5);
  EXPECT_EQ(doc["results"]["sizes"]["16x16"], 11);
  EXPECT_EQ(doc["protocol"]["preprocess"], "center-crop@16");

  // Three shards read 4 + 4 + 3 = 11 good images between them.
  int64_t total = 0;
  for (int shard = 0; shard < 3; ++shard) {
    const std::string json = dir.file("shard" + std::to_string(shard) + ".json");
    ASSERT_EQ(latentlab("datasets check --quiet --on-bad-image skip --shard " + std::to_string(shard) + "/3 --out " +
                        json + " " + spec)
                  .exit_code,
              0);
    total += nlohmann::json::parse(testing::read_text(json))["results"]["images"].get<int64_t>();
  }
  EXPECT_EQ(total, 11);
}

}  // namespace
}  // namespace latentlab
