// End to end: `latentlab store info|verify|merge` on stores written independently with h5py
// (tests/reference/store/store_reference.py), exit codes, one-line errors and no partial outputs.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab {
namespace {

using testing::run_command;
using testing::ScratchDir;

testing::CommandResult latentlab(const std::string& args) {
  return run_command(std::string(LATENTLAB_BINARY) + " " + args);
}

size_t lines(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

void make_store(const std::string& path, const std::string& args) {
  const auto r = testing::run_reference_python("store/store_reference.py", "write " + path + " " + args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

nlohmann::json dump(const std::string& path, const ScratchDir& dir) {
  const auto r = testing::run_reference_python("store/store_reference.py", "read " + path + " " + dir.file("d.json"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(testing::read_text(dir.file("d.json")));
}

TEST(StoreCli, InfoVerifyAndMergeShards) {
  ScratchDir dir;
  make_store(dir.file("single.h5"), "--rows 23 --flip");
  std::string shards;
  for (int i = 0; i < 2; ++i) {
    const std::string shard = dir.file("shard" + std::to_string(i) + ".h5");
    make_store(shard, "--rows 23 --flip --shard " + std::to_string(i) + "/2");
    shards = shard + " " + shards;  // reversed: the order given does not matter
  }
  auto r = latentlab("store info " + dir.file("shard1.h5"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "complete");
  EXPECT_CONTAINS(r.out, "rows: 11 (11 written); latents 4 x 3 x 5 float16; flips: yes");
  EXPECT_CONTAINS(r.out, "shard: 1/2");
  r = latentlab("store info --json " + dir.file("single.h5"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["rows"], 23);

  r = latentlab("store merge --out " + dir.file("merged.h5") + " " + shards);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "merged 23 rows from 2 shards");
  r = latentlab("store verify " + dir.file("merged.h5") + " " + dir.file("single.h5"));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(lines(r.out), 2u) << r.out;
  EXPECT_CONTAINS(r.out, "merged.h5: ok (23 rows, 0 non-finite values");
  // The merged datasets equal the single-process store's, value for value (read back with h5py).
  const auto merged = dump(dir.file("merged.h5"), dir), single = dump(dir.file("single.h5"), dir);
  for (const char* name : {"mean", "std", "mean_flip", "std_flip", "labels", "attributes", "keys"})
    EXPECT_EQ(merged["datasets"][name]["values"], single["datasets"][name]["values"]) << name;
  for (const char* name : {"channel_mean", "channel_std"})
    for (int c = 0; c < 4; ++c)
      EXPECT_NEAR(merged["attributes"][name][c].get<double>(), single["attributes"][name][c].get<double>(), 1e-12);
  EXPECT_EQ(merged["attributes"]["shard_count"], 1);
  // Again: nothing to do.
  r = latentlab("store merge --out " + dir.file("merged.h5") + " " + shards);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "nothing to do");
}

TEST(StoreCli, MergeRefusesAForeignShardAndLeavesNoOutput) {
  ScratchDir dir;
  make_store(dir.file("a0.h5"), "--rows 10 --shard 0/2");
  make_store(dir.file("b1.h5"), "--rows 10 --shard 1/2 --vae-sha256 cd");
  auto r = latentlab("store merge --out " + dir.file("m.h5") + " " + dir.file("a0.h5") + " " + dir.file("b1.h5"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_CONTAINS(r.err, dir.file("b1.h5") + ": was made with a different vae_sha256");
  EXPECT_FALSE(testing::file_exists(dir.file("m.h5")));
  EXPECT_FALSE(testing::file_exists(dir.file("m.h5.partial")));
}

TEST(StoreCli, ErrorsAreOneLine) {
  ScratchDir dir;
  make_store(dir.file("a0.h5"), "--rows 10");
  auto r = latentlab("store info " + dir.file("missing.h5"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_CONTAINS(r.err, "missing.h5: no such file");

  const std::string bytes = testing::read_text(dir.file("a0.h5"));
  testing::write_bytes(dir.file("cut.h5"), bytes.substr(0, bytes.size() * 2 / 3));
  r = latentlab("store verify " + dir.file("cut.h5"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_CONTAINS(r.err, "cut.h5: ");

  r = latentlab("store merge " + dir.file("a0.h5"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_CONTAINS(r.err, "--out: is required");
  r = latentlab("store frob");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_CONTAINS(r.err, "unknown verb (known: info, verify, merge)");
  for (const char* help : {"store --help", "store merge --help"}) {
    r = latentlab(help);
    EXPECT_EQ(r.exit_code, 0) << help;
    EXPECT_CONTAINS(r.out, "Usage:");
  }
}

}  // namespace
}  // namespace latentlab
