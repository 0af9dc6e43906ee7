// latentlab train-vae end to end: a few steps of plain tiny-f4d4 training on the procedural shapes at 32²
// from an INI config, stopped at step 2 and resumed to 4 (automatic resume from OUT/checkpoints), the
// results JSON, the log and the final weights that `vae info` reads; bad values give one line and exit 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab {
namespace {

testing::CommandResult train_vae_cli(const std::string& args) {
  return testing::run_command("OMP_NUM_THREADS=1 " + std::string(LATENTLAB_BINARY) + " " + args +
                              " --quiet --threads 1");
}

constexpr const char* kTrainVaeConfig = R"(dataset = shapes:seed=3,n=8,res=32
batch-size = 4
data-threads = 1
preset = tiny-f4d4
mode = plain
lpips-weight = 0
gan-weight = 0.1
gan-start = 1
disc-layers = 2
lr = 1e-3
steps = 4
checkpoint-every = 2
log-every = 1
grid-images = 2
)";

#ifdef LATENTLAB_WITH_OPENCV  // the procedural dataset is drawn with OpenCV
TEST(TrainVaeCli, StopResumeAndFinalWeights) {
  testing::ScratchDir dir;
  testing::write_bytes(dir.file("vae.ini"), kTrainVaeConfig);
  const std::string base = "train-vae --config " + dir.file("vae.ini") + " --out " + dir.file("run");
  const auto first = train_vae_cli(base + " --stop-at 2");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(testing::file_exists(dir.file("run/checkpoints/step-0000002.safetensors")));
  EXPECT_FALSE(testing::file_exists(dir.file("run/vae.safetensors")));
  const auto second = train_vae_cli(base);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_CONTAINS(second.out, "steps 2 -> 4");
  const auto doc = nlohmann::json::parse(testing::read_text(dir.file("run/train-vae.json")));
  EXPECT_EQ(doc["results"]["start_step"], 2);
  EXPECT_EQ(doc["results"]["end_step"], 4);
  EXPECT_EQ(doc["results"]["complete"], true);
  EXPECT_EQ(doc["protocol"]["mode"], "plain");
  EXPECT_TRUE(doc["results"]["last_terms"].contains("disc"));
  // One log record per step, 1..4, although the run was split.
  std::istringstream lines(testing::read_text(dir.file("run/log.jsonl")));
  int records = 0;
  for (std::string line; std::getline(lines, line);) EXPECT_EQ(nlohmann::json::parse(line)["step"], ++records);
  EXPECT_EQ(records, 4);
  const auto info =
      testing::run_command(std::string(LATENTLAB_BINARY) + " vae info " + dir.file("run/vae.safetensors"));
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_CONTAINS(info.out, "tiny-f4d4");
  EXPECT_TRUE(testing::file_exists(dir.file("run/grids/step-0000004.png")));
}
#endif

TEST(TrainVaeCli, BadValuesAreOneLineUsageErrors) {
  testing::ScratchDir dir;
  testing::write_bytes(dir.file("vae.ini"), kTrainVaeConfig);
  const std::string base = "train-vae --config " + dir.file("vae.ini") + " --out " + dir.file("run");
  for (const auto& [args, fragment] : {std::pair{" --kl-weight -1", "--kl-weight"},
                                       {" --lpips-weight 1", "--lpips-weights"},
                                       {" --mode sendvae", "--teacher"}}) {
    const auto r = train_vae_cli(base + args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
    EXPECT_CONTAINS(r.err, fragment);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_FALSE(testing::file_exists(dir.file("run/train-vae.json")));
}

}  // namespace
}  // namespace latentlab
