// Sharded jobs end to end (docs/distributed.md): `sample` run as two concurrent ranks with the same command
// line, as torchrun starts them (RANK/WORLD_SIZE; no rendezvous: shards do not talk), each writing
// --out s{rank}.npz, and joined by `sample merge` give the very file one process writes, byte for byte, with
// the same protocol; a launched shard without {rank} in its output is refused; merging refuses a missing or
// foreign shard; `cache` also takes its shard from the launch variables. (stats make --shard + stats merge:
// metrics_cli_test.cpp.)
#include <gtest/gtest.h>

#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/expect_user_error.h"
#include "support/test_support.h"
#include "unit/distributed/rank_launcher.h"

namespace latentlab {
namespace {

testing::CommandResult latentlab(const std::string& args, const std::string& env = "") {
  return testing::run_command(env + " OMP_NUM_THREADS=1 " + std::string(LATENTLAB_BINARY) + " " + args +
                              " --quiet --threads 1");
}

std::string launch_env(int rank, int world_size) {
  return "RANK=" + std::to_string(rank) + " LOCAL_RANK=" + std::to_string(rank) +
         " WORLD_SIZE=" + std::to_string(world_size);
}

class ShardCli : public ::testing::Test {
 protected:
  // A seeded random tiny VAE and a random SiT-tiny/1 with its latent normalisation, as in sample_cli_test.
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::ScratchDir>();
    const auto v = testing::run_command(std::string(LATENTLAB_BINARY) + " vae init --preset tiny-f4d4 --seed 0 --out " +
                                        dir_->file("vae.safetensors"));
    ASSERT_EQ(v.exit_code, 0) << v.err;
    const auto s = testing::run_reference_python(
        "diffusion/make_sit_checkpoint.py", dir_->file("sit.safetensors") + " --vae " + dir_->file("vae.safetensors"));
    ASSERT_EQ(s.exit_code, 0) << s.err;
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string sample(int seed = 3) {
    return "sample --sit " + dir_->file("sit.safetensors") + " --vae " + dir_->file("vae.safetensors") +
           " --steps 3 --num 4 --batch 2 --seed " + std::to_string(seed);
  }
  static std::unique_ptr<testing::ScratchDir> dir_;
  testing::ScratchDir scratch;
};
std::unique_ptr<testing::ScratchDir> ShardCli::dir_;

#if LATENTLAB_WITH_ZIP  // writes or reads .npz files (libzip)
nlohmann::json protocol_of(const std::string& results) {
  return nlohmann::json::parse(testing::read_text(results))["protocol"];
}

std::vector<std::string> words(const std::string& text) {
  std::istringstream stream(text);
  std::vector<std::string> result;
  for (std::string word; stream >> word;) result.push_back(word);
  return result;
}

TEST_F(ShardCli, SampleShardsMergeIntoTheSingleProcessFile) {
  const std::string all = scratch.file("all.npz"), merged = scratch.file("merged.npz");
  ASSERT_EQ(latentlab(sample() + " --out " + all).exit_code, 0);
  // Without {rank} both ranks would write one file: refused before any work, nothing written.
  const auto common = latentlab(sample() + " --out " + scratch.file("s.npz"), launch_env(1, 2));
  EXPECT_EQ(common.exit_code, 2);
  EXPECT_CONTAINS(common.err, "--out: '" + scratch.file("s.npz") + "' would be written by every rank");
  EXPECT_CONTAINS(common.err, "add {rank} to the path");
  EXPECT_FALSE(testing::file_exists(scratch.file("s.npz")));
  // Two ranks at once with the same command line; the shard from RANK/WORLD_SIZE: indices [0, 2) and [2, 4).
  const auto ranks = testing::run_program_job(
      LATENTLAB_BINARY, scratch, words(sample() + " --out " + scratch.file("s{rank}.npz") + " --quiet --threads 1"), 2);
  for (int rank = 0; rank < 2; ++rank) {
    ASSERT_EQ(ranks[rank].exit_code, 0) << ranks[rank].err();
    EXPECT_CONTAINS(ranks[rank].out(),
                    "s" + std::to_string(rank) + ".npz: 2 samples (npz shard " + std::to_string(rank) + "/2");
  }
  // Given in reverse order: shards are placed by their first index.
  const auto r =
      latentlab("sample merge " + scratch.file("s1.npz") + " " + scratch.file("s0.npz") + " --out " + merged);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "4 samples from 2 shards");
  // Same batches on both sides (2 + 2), per-sample seeds: the same pixels, and the streamed .npz layout is
  // deterministic, so the files are equal byte for byte.
  EXPECT_EQ(testing::read_text(all), testing::read_text(merged));
  EXPECT_EQ(protocol_of(all + ".json"), protocol_of(merged + ".json"));

  // A missing shard and a shard of another run are refused with one line, leaving no output.
  const auto missing = latentlab("sample merge " + scratch.file("s1.npz") + " --out " + scratch.file("x.npz"));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_CONTAINS(missing.err, "starts at sample 2");
  ASSERT_EQ(latentlab(sample(4) + " --shard 1/2 --out " + scratch.file("other.npz")).exit_code, 0);
  const auto foreign = latentlab("sample merge " + scratch.file("s0.npz") + " " + scratch.file("other.npz") +
                                 " --out " + scratch.file("x.npz"));
  EXPECT_EQ(foreign.exit_code, 1);
  EXPECT_CONTAINS(foreign.err, "another sampling run");
  EXPECT_FALSE(testing::file_exists(scratch.file("x.npz")));
}
#endif

#ifdef LATENTLAB_WITH_OPENCV  // the procedural dataset is drawn with OpenCV
TEST_F(ShardCli, CacheTakesItsShardFromTheLaunchEnvironment) {
  const std::string store = scratch.file("shard1.h5");
  const auto r =
      latentlab("cache --vae " + dir_->file("vae.safetensors") + " --data shapes:n=6,res=32 --res 32 --out " +
                    scratch.file("shard{rank}.h5") + " --batch-size 2",
                launch_env(1, 2));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto info = testing::run_command(std::string(LATENTLAB_BINARY) + " store info " + store);
  EXPECT_CONTAINS(info.out, "shard: 1/2");
  EXPECT_CONTAINS(info.out, "rows: 3 (3 written)");  // dataset positions 1, 3, 5
}
#endif

}  // namespace
}  // namespace latentlab
