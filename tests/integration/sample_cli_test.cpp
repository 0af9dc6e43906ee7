// latentlab sample end to end: a seeded random tiny-f4d4 VAE (`vae init`) and a random SiT-tiny/1 written with
// its latent normalisation (tests/reference/diffusion/make_sit_checkpoint.py). Checks the ADM .npz (arr_0
// uint8 N×H×W×3, arr_1 labels), the results JSON next to it, PNG output, shards concatenating to the full run,
// a run killed mid-way resuming to the uninterrupted output, and refusals (no normalisation, another VAE, an
// existing output) as one error line with no output left behind.
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include <ATen/ATen.h>

#include "io/npz.h"
#include "io/tensor_convert.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

extern char** environ;

namespace latentlab {
namespace {

testing::CommandResult latentlab(const std::string& args) {
  return testing::run_command("OMP_NUM_THREADS=1 " + std::string(LATENTLAB_BINARY) + " " + args +
                              " --quiet --threads 1");
}

class SampleCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::ScratchDir>();
    const auto v = testing::run_command(std::string(LATENTLAB_BINARY) + " vae init --preset tiny-f4d4 --seed 0 --out " +
                                        dir_->file("vae.safetensors"));
    ASSERT_EQ(v.exit_code, 0) << v.err;
    const auto other =
        testing::run_command(std::string(LATENTLAB_BINARY) + " vae init --preset tiny-f4d4 --seed 1 --out " +
                             dir_->file("other.safetensors"));
    ASSERT_EQ(other.exit_code, 0) << other.err;
    for (const std::string extra : {"", " --no-norm"}) {
      const std::string name = extra.empty() ? "sit.safetensors" : "sit-plain.safetensors";
      const auto s = testing::run_reference_python(
          "diffusion/make_sit_checkpoint.py", dir_->file(name) + " --vae " + dir_->file("vae.safetensors") + extra);
      ASSERT_EQ(s.exit_code, 0) << s.err;
    }
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string base(const std::string& sit = "sit.safetensors", int steps = 4) {
    return "sample --sit " + dir_->file(sit) + " --vae " + dir_->file("vae.safetensors") + " --steps " +
           std::to_string(steps) + " --cfg-scale 2 --cfg-interval 0,0.7 --seed 3";
  }
  static at::Tensor images(const std::string& npz) { return io::to_tensor(io::NpzReader(npz).read("arr_0")).clone(); }
  static std::unique_ptr<testing::ScratchDir> dir_;
  testing::ScratchDir scratch;
};
std::unique_ptr<testing::ScratchDir> SampleCli::dir_;

#if LATENTLAB_WITH_ZIP  // writes or reads .npz files (libzip)
TEST_F(SampleCli, WritesAnAdmBatchAndItsResults) {
  const std::string out = scratch.file("s.npz");
  const auto r = latentlab(base() + " --num 5 --batch 2 --sampler sde --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "5 samples");
  io::NpzReader npz(out);
  const auto& info = npz.info("arr_0");
  EXPECT_EQ(info.shape, (io::Shape{5, 32, 32, 3}));  // SiT-tiny/1's 8×8 latents through an f4 VAE
  EXPECT_EQ(info.dtype, io::DType::U8);
  const at::Tensor labels = io::to_tensor(npz.read("arr_1"));
  EXPECT_EQ(labels.size(0), 5);
  EXPECT_GE(labels.min().item<int64_t>(), 0);
  EXPECT_LT(labels.max().item<int64_t>(), 10);
  const at::Tensor pixels = images(out).to(at::kFloat);
  EXPECT_GT(pixels.std().item<float>(), 0.0f);  // not a constant image
  const auto doc = nlohmann::json::parse(testing::read_text(out + ".json"));
  EXPECT_EQ(doc["results"]["samples"], 5);
  EXPECT_EQ(doc["results"]["batches_sampled"], 3);
  const auto& p = doc["protocol"];
  EXPECT_EQ(p["sampler"]["kind"], "sde");
  EXPECT_EQ(p["sampler"]["t_last"], 0.04);
  EXPECT_EQ(p["guidance"]["scale"], 2.0);
  EXPECT_EQ(p["guidance"]["high"], 0.7);
  EXPECT_EQ(p["seed"], 3);
  EXPECT_EQ(p["latent_norm"]["std"][0], 1.5);
  EXPECT_EQ(p["vae_sha256"], p["latent_norm"]["vae_sha256"]);
  EXPECT_FALSE(testing::file_exists(out + ".partial"));
  // The same command again is refused: the output exists.
  const auto again = latentlab(base() + " --num 5 --batch 2 --out " + out);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_CONTAINS(again.err, "exists");
}
#endif

#if LATENTLAB_WITH_ZIP  // writes or reads .npz files (libzip)
TEST_F(SampleCli, ShardsConcatenateToTheFullRun) {
  ASSERT_EQ(latentlab(base() + " --num 4 --batch 2 --out " + scratch.file("all.npz")).exit_code, 0);
  for (int i = 0; i < 2; ++i) {
    const auto r = latentlab(base() + " --num 4 --batch 2 --shard " + std::to_string(i) + "/2 --out " +
                             scratch.file("shard" + std::to_string(i) + ".npz"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // Same batches (2 + 2) on both sides, so the float32 model sees identical inputs: equal bytes.
  EXPECT_TRUE(at::equal(at::cat({images(scratch.file("shard0.npz")), images(scratch.file("shard1.npz"))}),
                        images(scratch.file("all.npz"))));
}
#endif

#ifdef LATENTLAB_WITH_OPENCV  // PNGs are encoded with OpenCV
TEST_F(SampleCli, WritesPngFolders) {
  const std::string out = scratch.file("pngs");
  const auto r = latentlab(base() + " --num 3 --batch 2 --sampler ode --labels balanced --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::read_text(out + "/labels.csv"), "file,label\n000000.png,0\n000001.png,1\n000002.png,2\n");
  for (const char* name : {"000000.png", "000001.png", "000002.png"})
    EXPECT_TRUE(testing::file_exists(out + "/" + name)) << name;
}
#else
TEST_F(SampleCli, PngFoldersAreRefusedInOneLineWithoutOpenCv) {
  const std::string out = scratch.file("pngs");
  const auto r = latentlab(base() + " --num 3 --batch 2 --out " + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--out: PNG folders need OpenCV, which this build lacks; write an .npz"), std::string::npos)
      << r.err;
  EXPECT_FALSE(testing::file_exists(out));
}
#endif

#if LATENTLAB_WITH_ZIP  // writes or reads .npz files (libzip)
// Starts the run and sends SIGKILL as soon as its first batch is committed; true when that landed mid-run.
bool kill_after_first_batch(const std::string& command, const std::string& out) {
  const std::string shell_command = "exec " + command + " >/dev/null 2>&1";
  const char* argv[] = {"/bin/sh", "-c", shell_command.c_str(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) return false;
  const std::string first = out + ".partial/batch-000000000.images.npy";
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (testing::file_exists(first)) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return !testing::file_exists(out);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

TEST_F(SampleCli, AKilledRunResumesToTheUninterruptedOutput) {
  const std::string args = base("sit.safetensors", 40) + " --num 6 --batch 1";
  ASSERT_EQ(latentlab(args + " --out " + scratch.file("whole.npz")).exit_code, 0);
  const std::string out = scratch.file("resumed.npz");
  const bool killed =
      kill_after_first_batch(std::string(LATENTLAB_BINARY) + " " + args + " --quiet --threads 1 --out " + out, out);
  ASSERT_TRUE(killed) << "the run ended before it could be killed";
  // Another setting is refused while the partial run is there.
  const auto other = latentlab(base("sit.safetensors", 41) + " --num 6 --batch 1 --out " + out);
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_CONTAINS(other.err, "other settings");
  const auto done = latentlab(args + " --out " + out);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  const auto doc = nlohmann::json::parse(testing::read_text(out + ".json"));
  EXPECT_GE(doc["results"]["batches_resumed"].get<int64_t>(), 1);
  EXPECT_TRUE(at::equal(images(out), images(scratch.file("whole.npz"))));
}
#endif

TEST_F(SampleCli, RefusesCheckpointsWithoutNormalisationAndOtherVaes) {
  const std::string out = scratch.file("x.npz");
  const auto plain = latentlab(base("sit-plain.safetensors") + " --num 2 --out " + out);
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_CONTAINS(plain.err, "records no latent normalisation");
  const auto other_vae = latentlab("sample --sit " + dir_->file("sit.safetensors") + " --vae " +
                                   dir_->file("other.safetensors") + " --num 2 --steps 2 --out " + out);
  EXPECT_EQ(other_vae.exit_code, 1);
  EXPECT_CONTAINS(other_vae.err, "is not the VAE the SiT was trained on");
  const auto bad_shard = latentlab(base() + " --num 2 --shard 2/2 --out " + out);
  EXPECT_EQ(bad_shard.exit_code, 2);
  EXPECT_CONTAINS(bad_shard.err, "--shard");
  EXPECT_FALSE(testing::file_exists(out));
  EXPECT_FALSE(testing::file_exists(out + ".partial"));
  const auto forced =
      latentlab("sample --sit " + dir_->file("sit.safetensors") + " --vae " + dir_->file("other.safetensors") +
                " --num 2 --steps 2 --ignore-vae-identity --out " + out);
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
}

}  // namespace
}  // namespace latentlab
