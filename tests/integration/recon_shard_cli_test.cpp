// `latentlab recon --shard i/n` + `latentlab recon merge` against one unsharded `recon` run: a seeded random
// tiny-f4d4 VAE (`vae init`), shapes:seed=3,n=5,res=32 in 3 shards (positions {0, 3}, {1, 4}, {2}), posterior
// samples (--sample: each shard must draw the noise one process draws for its positions), the
// MetricsCliInputs fixture's random Inception weights as safetensors (made here when the fixture did not run) and
// seeded random LPIPS weights (tests/reference/models/lpips_reference.py). Oracle: the unsharded run's results and
// protocol fingerprint.
#include <gtest/gtest.h>

#include <memory>

#include <nlohmann/json.hpp>

#include "support/expect_user_error.h"
#include "support/metrics_inputs.h"
#include "support/shard_runs.h"
#include "support/test_support.h"

namespace latentlab {
namespace {

using testing::latentlab_quiet;
using testing::read_json;

class ReconShardCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::ScratchDir>();
    inception_ = testing::metrics_inputs(*dir_) + "/inception.safetensors";
    const auto v = testing::run_command(std::string(LATENTLAB_BINARY) + " vae init --preset tiny-f4d4 --seed 0 --out " +
                                        dir_->file("vae.safetensors"));
    ASSERT_EQ(v.exit_code, 0) << v.err;
    const auto l =
        testing::run_reference_python("models/lpips_reference.py", "write " + dir_->path() + " --size 32 32");
    ASSERT_EQ(l.exit_code, 0) << l.err;
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string args() {
    // Batches of one image: float32 convolutions may round differently with the batch's size and content, so
    // only then does every image go through exactly the same arithmetic in a shard as in one process.
    return "recon --vae " + dir_->file("vae.safetensors") + " --data shapes:seed=3,n=5,res=32 --sample --seed 7" +
           " --batch-size 1 --extractor-batch-size 1" + " --extractor-weights " + inception_ + " --lpips-weights " +
           dir_->file("vgg16.pth") + " --lpips-weights " + dir_->file("heads.pth");
  }
  static std::string inception_;
  static std::unique_ptr<testing::ScratchDir> dir_;
  testing::ScratchDir scratch;
};
std::string ReconShardCli::inception_;
std::unique_ptr<testing::ScratchDir> ReconShardCli::dir_;

// Every image is reconstructed from the same noise and scored alone (batches of one), so the per-image PSNR, SSIM and
// LPIPS values are the same doubles and their means, summed in dataset order, equal bit for bit; rFID's moments differ
// only by the rounding of Chan's merge (1e-9 relative is far above it, far below any real change).
TEST_F(ReconShardCli, ThreeShardsMergeToTheUnshardedRun) {
  const std::string whole = scratch.file("whole.json"), merged = scratch.file("merged.json");
  const auto w = latentlab_quiet(args() + " --out " + whole);
  ASSERT_EQ(w.exit_code, 0) << w.err;
  const std::vector<std::string> parts = testing::run_shards(args(), 3, scratch, "r");
  const auto last = read_json(parts[2]);
  EXPECT_EQ(last["results"]["count"], 1);  // position 2 only
  EXPECT_EQ(last["protocol"]["shard"], "2/3");
  EXPECT_EQ(last["results"]["shard_file"], "r2.npz");

  const auto m = testing::merge_shards("recon", parts[1] + " " + parts[2] + " " + parts[0], merged);
  ASSERT_EQ(m.exit_code, 0) << m.err;
  const auto a = read_json(whole), b = read_json(merged);
  testing::expect_same_results(b, a,
                               {"psnr", "psnr_count", "psnr_infinite_count", "psnr_finite_mean", "ssim", "ssim_count",
                                "lpips", "lpips_count", "count", "skipped"});
  const double rfid = a["results"]["rfid"].get<double>();
  EXPECT_GT(rfid, 0.0);
  EXPECT_NEAR(b["results"]["rfid"].get<double>(), rfid, 1e-9 * rfid);
  EXPECT_EQ(b["protocol_fingerprint"], a["protocol_fingerprint"]);
  EXPECT_EQ(b["protocol"]["count"], 5);
  EXPECT_FALSE(b["protocol"].contains("shard"));
  EXPECT_EQ(b["inputs"].size(), 4u + 3u);  // vae, Inception, two LPIPS files; the three shards

  // Incomplete or repeated shard sets: one line, no output.
  testing::expect_refused_merges("recon",
                                 {{parts[0] + " " + parts[1], "2 shard files were given"},
                                  {parts[0] + " " + parts[0] + " " + parts[1], "is shard 0/3, like"}},
                                 scratch.file("bad.json"));
  const auto no_out = latentlab_quiet(args() + " --shard 0/3");
  EXPECT_EQ(no_out.exit_code, 2);
  EXPECT_CONTAINS(no_out.err, "--out: is required with --shard");
}

}  // namespace
}  // namespace latentlab
