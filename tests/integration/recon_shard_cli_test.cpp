// `latentlab recon --shard i/n` + `latentlab recon merge` against one unsharded `recon` run: a seeded random
// tiny-f4d4 VAE (`vae init`), shapes:seed=3,n=5,res=32 in 3 shards (positions {0, 3}, {1, 4}, {2}), posterior
// samples (--sample: each shard must draw the noise one process draws for its positions), the
// MetricsCliInputs fixture's random Inception weights (made here when the fixture did not run) and seeded
// random LPIPS weights (tests/reference/models/lpips_reference.py). Oracle: the unsharded run's results and
// protocol fingerprint.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include <nlohmann/json.hpp>

#include "support/expect_user_error.h"
#include "support/metrics_inputs.h"
#include "support/test_support.h"

namespace latentlab {
namespace {

testing::CommandResult latentlab(const std::string& args) {
  return testing::run_command("OMP_NUM_THREADS=1 " + std::string(LATENTLAB_BINARY) + " " + args +
                              " --quiet --threads 1");
}

nlohmann::json read_json(const std::string& path) {
  return nlohmann::json::parse(testing::read_text(path));
}

class ReconShardCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::ScratchDir>();
    inception_ = testing::metrics_inputs(*dir_) + "/inception.pth";
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
  const auto w = latentlab(args() + " --out " + whole);
  ASSERT_EQ(w.exit_code, 0) << w.err;
  std::vector<std::string> parts;
  for (int i = 0; i < 3; ++i) {
    parts.push_back(scratch.file("r" + std::to_string(i) + ".json"));
    const auto r = latentlab(args() + " --shard " + std::to_string(i) + "/3 --out " + parts.back());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const auto last = read_json(parts[2]);
  EXPECT_EQ(last["results"]["count"], 1);  // position 2 only
  EXPECT_EQ(last["protocol"]["shard"], "2/3");
  EXPECT_EQ(last["results"]["shard_file"], "r2.npz");

  const auto m = latentlab("recon merge " + parts[1] + " " + parts[2] + " " + parts[0] + " --out " + merged);
  ASSERT_EQ(m.exit_code, 0) << m.err;
  const auto a = read_json(whole), b = read_json(merged);
  for (const char* key : {"psnr", "psnr_count", "psnr_infinite_count", "psnr_finite_mean", "ssim", "ssim_count",
                          "lpips", "lpips_count", "count", "skipped"})
    EXPECT_EQ(b["results"][key], a["results"][key]) << key;
  const double rfid = a["results"]["rfid"].get<double>();
  EXPECT_GT(rfid, 0.0);
  EXPECT_NEAR(b["results"]["rfid"].get<double>(), rfid, 1e-9 * rfid);
  EXPECT_EQ(b["protocol_fingerprint"], a["protocol_fingerprint"]);
  EXPECT_EQ(b["protocol"]["count"], 5);
  EXPECT_FALSE(b["protocol"].contains("shard"));
  EXPECT_EQ(b["inputs"].size(), 4u + 3u);  // vae, Inception, two LPIPS files; the three shards

  // Incomplete or repeated shard sets: one line, no output.
  const std::string out = scratch.file("bad.json");
  for (const auto& [shards, says] : std::vector<std::pair<std::string, std::string>>{
           {parts[0] + " " + parts[1], "2 shard files were given"},
           {parts[0] + " " + parts[0] + " " + parts[1], "is shard 0/3, like"}}) {
    const auto r = latentlab("recon merge " + shards + " --out " + out);
    EXPECT_EQ(r.exit_code, 1) << shards;
    EXPECT_CONTAINS(r.err, says);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(testing::file_exists(out));
  }
  const auto no_out = latentlab(args() + " --shard 0/3");
  EXPECT_EQ(no_out.exit_code, 2);
  EXPECT_CONTAINS(no_out.err, "--out: is required with --shard");
}

}  // namespace
}  // namespace latentlab
