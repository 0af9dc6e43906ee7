// latentlab train-ldm end to end: `vae init` a tiny-f4d4 VAE, `cache` 48 procedural shapes at 32² into a store,
// train SiT-tiny/1 for 2 steps, stop, resume to 4 (checkpoints, log, a decoded sample grid, the results JSON),
// then `sample` the trained weights into an ADM .npz of the right shape. Bad inputs: one error line naming the
// option or file, exit 2 for usage errors, no results written. REPA targets cached with the latents: `cache
// --flip --teacher` with a tiny `train-teacher` run's weights, then train-ldm reads them (and says so) and
// runs the teacher only with --repa-features online.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

#include "io/npz.h"
#include "io/tensor_convert.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab {
namespace {

testing::CommandResult train_ldm_cli(const std::string& args) {
  return testing::run_command("OMP_NUM_THREADS=1 " + std::string(LATENTLAB_BINARY) + " " + args +
                              " --quiet --threads 1");
}

class TrainLdmCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::ScratchDir>();
    for (const std::string seed : {"0", "1"}) {
      const auto v = testing::run_command(std::string(LATENTLAB_BINARY) + " vae init --preset tiny-f4d4 --seed " +
                                          seed + " --out " + dir_->file("vae" + seed + ".safetensors"));
      ASSERT_EQ(v.exit_code, 0) << v.err;
    }
    const auto c = train_ldm_cli("cache --batch-size 16 --vae " + dir_->file("vae0.safetensors") +
                                 " --data shapes:seed=0,n=48,res=32 --out " + store());
    ASSERT_EQ(c.exit_code, 0) << c.err;
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string store() { return dir_->file("latents.h5"); }
  // Every option but --batch-size and --vae (an option may be given once).
  static std::string common(const std::string& out) {
    return "train-ldm --store " + store() + " --preset SiT-tiny/1 --steps 4 --checkpoint-every 2 --log-every 1 " +
           "--lr 1e-3 --grid-images 2 --grid-steps 2 --out " + out;
  }
  static std::string base(const std::string& out) {
    return common(out) + " --batch-size 8 --vae " + dir_->file("vae0.safetensors");
  }
  static std::unique_ptr<testing::ScratchDir> dir_;
  testing::ScratchDir scratch;
};
std::unique_ptr<testing::ScratchDir> TrainLdmCli::dir_;

#if LATENTLAB_WITH_ZIP  // writes or reads .npz files (libzip)
TEST_F(TrainLdmCli, CacheTrainResumeSample) {
  const std::string out = scratch.file("run");
  const auto first = train_ldm_cli(base(out) + " --stop-at 2");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(testing::file_exists(out + "/checkpoints/step-0000002.safetensors"));
  EXPECT_FALSE(testing::file_exists(out + "/sit.safetensors"));

  const auto second = train_ldm_cli(base(out));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_CONTAINS(second.out, "train-ldm: steps 2 -> 4");
  const auto results = nlohmann::json::parse(testing::read_text(out + "/train-ldm.json"));
  EXPECT_EQ(results["protocol"]["task"], "train-ldm");
  EXPECT_EQ(results["protocol"]["repa"], false);  // no teacher: REPA off with a log line
  EXPECT_EQ(results["protocol"]["latent_norm"]["source"], "store:" + store());
  EXPECT_EQ(results["results"]["start_step"], 2);
  EXPECT_EQ(results["results"]["complete"], true);
  std::ifstream log(out + "/log.jsonl");
  std::vector<int> steps;
  for (std::string line; std::getline(log, line);) steps.push_back(nlohmann::json::parse(line)["step"]);
  EXPECT_EQ(steps, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_TRUE(testing::file_exists(out + "/grids/step-0000004.png"));
  EXPECT_TRUE(testing::file_exists(out + "/sit-raw.safetensors"));

  const auto sample = train_ldm_cli("sample --sit " + out + "/sit.safetensors --vae " + dir_->file("vae0.safetensors") +
                                    " --num 3 --batch 3 --sampler ode --steps 2 " + "--cfg-scale 1.5 --out " +
                                    scratch.file("samples.npz"));
  ASSERT_EQ(sample.exit_code, 0) << sample.err;
  const at::Tensor images = io::to_tensor(io::NpzReader(scratch.file("samples.npz")).read("arr_0"));
  EXPECT_EQ(images.sizes(), (std::vector<int64_t>{3, 32, 32, 3}));
  EXPECT_EQ(images.scalar_type(), at::kByte);
}
#endif

TEST_F(TrainLdmCli, BadInputsAreOneLineErrors) {
  const std::string out = scratch.file("run");
  for (const auto& [args, code, fragment] :
       {std::tuple{common(out) + " --batch-size 0", 2, "--batch-size"},
        {base(out) + " --repa on", 2, "--teacher"},
        {base(out) + " --latent-norm global", 2, "--latent-norm"},
        {common(out) + " --batch-size 64", 2, "larger than the dataset"},
        {common(out) + " --batch-size 8 --vae " + dir_->file("vae1.safetensors"), 2, "is not the VAE of"},
        {"train-ldm --out " + out, 2, "--store"},
        {"train-ldm --store " + scratch.file("missing.h5") + " --out " + out, 1, "missing.h5"}}) {
    const auto r = train_ldm_cli(args);
    EXPECT_EQ(r.exit_code, code) << args << ": " << r.err;
    EXPECT_CONTAINS(r.err, fragment);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_FALSE(testing::file_exists(out + "/train-ldm.json"));
  EXPECT_FALSE(testing::file_exists(out + "/sit.safetensors"));
}

TEST_F(TrainLdmCli, TeacherTokensCachedWithTheLatents) {
  const auto t = train_ldm_cli("train-teacher --out " + scratch.file("t") +
                               " --dataset shapes:res=32,n=64,seed=0 --eval-dataset shapes:res=32,n=64,seed=1 --steps 2"
                               " --batch-size 16 --warmup 1 --channels 4 --width 8 --groups 2 --levels 3 --blocks 0"
                               " --probe-grid 1 --probe-factors rotation --seed 1");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  const std::string teacher = "procedural:" + scratch.file("t/teacher.safetensors");
  const std::string tokens = scratch.file("tokens.h5");
  const auto c = train_ldm_cli("cache --batch-size 16 --vae " + dir_->file("vae0.safetensors") +
                               " --data shapes:seed=0,n=48,res=32 --flip --teacher " + teacher + " --out " + tokens);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const auto info = testing::run_command(std::string(LATENTLAB_BINARY) + " store info " + tokens);
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_CONTAINS(info.out, "teacher tokens: 8 x 8 grid x 8 float16 (and flipped); teacher: procedural (r");
  const auto run = [&](const std::string& out, const std::string& extra) {
    const auto r =
        testing::run_command("OMP_NUM_THREADS=1 " + std::string(LATENTLAB_BINARY) + " train-ldm --store " + tokens +
                             " --preset SiT-tiny/1 --steps 2 --log-every 1 --grid-images 0 --batch-size 8"
                             " --random-flip --repa on --threads 1 --teacher " +
                             teacher + " --out " + out + extra);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return std::make_pair(r.err, nlohmann::json::parse(testing::read_text(out + "/train-ldm.json")));
  };
  const auto [stored_log, stored] = run(scratch.file("stored"), "");
  EXPECT_CONTAINS(stored_log, "REPA on (teacher tokens read from the store), teacher procedural ");
  EXPECT_EQ(stored["protocol"]["repa_features"], "store");
  const auto [online_log, online] =
      run(scratch.file("online"), " --repa-features online --dataset shapes:seed=0,n=48,res=32");
  EXPECT_CONTAINS(online_log, "REPA on (teacher tokens computed online)");
  EXPECT_EQ(online["protocol"]["repa_features"], "online");
  EXPECT_EQ(stored["protocol"]["teacher"], online["protocol"]["teacher"]);
  // Step 1 under the same initial weights: float16 tokens move the REPA term by at most 2^-11.
  const auto first_repa = [&](const std::string& out) {
    std::ifstream log(out + "/log.jsonl");
    std::string line;
    std::getline(log, line);
    return nlohmann::json::parse(line)["repa"].get<double>();
  };
  EXPECT_NEAR(first_repa(scratch.file("stored")), first_repa(scratch.file("online")), 0x1p-11);
}

}  // namespace
}  // namespace latentlab
