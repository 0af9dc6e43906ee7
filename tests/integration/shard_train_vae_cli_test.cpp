// Data-parallel `latentlab train-vae` end to end: two ranks on loopback with Gloo (torchrun's variables, set
// by tests/unit/distributed/rank_launcher.h) train the tiny VAE on halves of each global batch and must end
// where one process trained on the whole batch ends; a killed rank must stop the other with one error line
// within --dist-timeout, naming the checkpoint to resume from, and a job resumed from it must end where an
// uninterrupted one ends.
//
// Tolerance 1e-6 on float32 weights of magnitude ~0.1-1: the ranks' averaged gradients differ from the
// single process's only in summation order (~1e-7 relative); a resumed two-rank job sums as the uninterrupted
// one does, so only a wrong resume state could make them differ. AdamW runs with ε = 1, where its update is
// ≈ lr·m̂ (SGD with momentum): with the usual ε = 1e-8 it divides by √v̂ and turns gradients that are zero
// up to rounding (conv biases in front of tiny-f4d4's one-channel GroupNorm groups) into ±lr steps whose
// sign is that rounding, in 1 and 2 processes alike. A wrong split, unsynchronised noise or a missing
// average moves weights by ~lr·|g| ≈ 1e-3.
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>

#include "io/safetensors.h"
#include "support/expect_user_error.h"
#include "support/safetensors_compare.h"
#include "support/test_support.h"
#include "unit/distributed/rank_launcher.h"

namespace latentlab {
namespace {

// 8 images, global batch 4: 2 steps per epoch, so 3 steps cross an epoch boundary. No GAN: PatchGAN's
// BatchNorm normalises each rank's rows by their own statistics (as under DDP without SyncBatchNorm), so
// only the GAN-free objective is the same function of the global batch on 1 and 2 ranks.
constexpr const char* kConfig = R"(dataset = shapes:seed=3,n=8,res=32
batch-size = 4
data-threads = 1
preset = tiny-f4d4
mode = plain
lpips-weight = 0
gan-weight = 0
lr = 0.02
adam-eps = 1
ema = 0.9
steps = 3
checkpoint-every = 2
log-every = 1
grid-images = 0
dist-timeout = 20
)";

std::vector<std::string> train_args(const testing::ScratchDir& dir, const std::string& out,
                                    std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"train-vae",   "--config", dir.file("vae.ini"), "--out",
                                dir.file(out), "--quiet",  "--threads",         "1"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

void expect_ok(const testing::RankRun& run) {
  EXPECT_EQ(run.exit_code, 0) << run.err();
}

#ifdef LATENTLAB_WITH_OPENCV  // the procedural dataset is drawn with OpenCV
TEST(DataParallelTrainVae, TwoRanksResumedEqualOneProcess) {
  testing::ScratchDir dir;
  testing::write_bytes(dir.file("vae.ini"), kConfig);
  const auto start = std::chrono::steady_clock::now();
  testing::RankRun single = testing::launch_program(LATENTLAB_BINARY, dir, train_args(dir, "single"), -1, 1, 0);
  // Two ranks stop at step 2 (rank 0's checkpoint), then a second job resumes both ranks from it.
  for (const auto& run : testing::run_program_job(LATENTLAB_BINARY, dir, train_args(dir, "job", {"--stop-at", "2"}), 2))
    expect_ok(run);
  EXPECT_TRUE(testing::file_exists(dir.file("job/checkpoints/step-0000002.safetensors")));
  const auto resumed = testing::run_program_job(LATENTLAB_BINARY, dir, train_args(dir, "job"), 2);
  for (const auto& run : resumed) expect_ok(run);
  if (!testing::wait_rank(single, start, 120)) testing::kill_rank(single);
  expect_ok(single);
  EXPECT_CONTAINS(resumed[0].out(), "steps 2 -> 3");
  EXPECT_EQ(resumed[1].out(), "");  // only rank 0 reports
  const double vae =
      testing::max_safetensors_difference(dir.file("single/vae.safetensors"), dir.file("job/vae.safetensors"));
  const double ema =
      testing::max_safetensors_difference(dir.file("single/vae-ema.safetensors"), dir.file("job/vae-ema.safetensors"));
  std::cout << "max |single - 2 ranks|: vae " << vae << ", ema " << ema << "\n";
  EXPECT_LE(vae, 1e-6);
  EXPECT_LE(ema, 1e-6);
  EXPECT_GT(testing::max_safetensors_difference(dir.file("job/checkpoints/step-0000002.safetensors"),
                                                dir.file("job/checkpoints/step-0000003.safetensors")),
            1e-4)
      << "the third step moved the weights (the comparison is not vacuous)";
}

// Rank 1 is killed mid-run: rank 0 stops within the timeout with one line naming the emergency checkpoint it
// saved of the last completed step (periodic checkpoints are off), and a two-rank job resumed from it ends
// where an uninterrupted two-rank job ends.
TEST(DataParallelTrainVae, KilledRankStopsTheOtherWithinTheTimeoutAndLeavesACheckpoint) {
  testing::ScratchDir dir;
  testing::write_bytes(dir.file("vae.ini"), kConfig);
  const std::vector<std::string> extra{"--steps", "24", "--dist-timeout", "10", "--checkpoint-every", "1000"};
  const int port = testing::free_port();
  const auto start = std::chrono::steady_clock::now();
  testing::RankRun rank0 = testing::launch_program(LATENTLAB_BINARY, dir, train_args(dir, "run", extra), 0, 2, port);
  testing::RankRun rank1 = testing::launch_program(LATENTLAB_BINARY, dir, train_args(dir, "run", extra), 1, 2, port);
  // Rank 0 writes a log record per step: kill rank 1 once training runs.
  const std::string log = dir.file("run/log.jsonl");
  while (testing::read_text(log).find("\"step\":2") == std::string::npos &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  testing::kill_rank(rank1);
  const auto killed = std::chrono::steady_clock::now();
  const bool ended = testing::wait_rank(rank0, killed, 30);
  if (!ended) testing::kill_rank(rank0);
  ASSERT_TRUE(ended) << "rank 0 hung after rank 1 died";
  EXPECT_LT(rank0.seconds, 10);  // within the timeout after the death
  EXPECT_EQ(rank0.exit_code, 1) << rank0.err();
  const std::string err = rank0.err();
  EXPECT_CONTAINS(err, "latentlab train-vae: error: distributed: rank 0 of 2: ");
  EXPECT_CONTAINS(err, "stopping; resume from " + dir.file("run/checkpoints/step-"));
  EXPECT_CONTAINS(err, "the last completed one, saved now)");
  size_t error_lines = 0;
  for (size_t at = err.find("error:"); at != std::string::npos; at = err.find("error:", at + 1)) ++error_lines;
  EXPECT_EQ(error_lines, 1u) << err;

  // The checkpoint the line names is the only file in the directory (no temporary file left behind).
  const size_t at = err.find("run/checkpoints/step-");
  ASSERT_NE(at, std::string::npos) << err;
  const int64_t saved = std::stoll(err.substr(at + 21, 7));
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir.file("run/checkpoints")))
    files.push_back(entry.path().filename().string());
  EXPECT_EQ(files, std::vector<std::string>{err.substr(at + 16, 5 + 7 + 12)});
  ASSERT_GE(saved, 2);
  ASSERT_LT(saved, 24) << "rank 0 finished before rank 1 was killed";

  // Resumed (--resume auto) as two ranks, next to an uninterrupted two-rank job.
  const int reference_port = testing::free_port();
  std::vector<testing::RankRun> reference;
  for (int r = 0; r < 2; ++r)
    reference.push_back(testing::launch_program(LATENTLAB_BINARY, dir, train_args(dir, "reference", extra), r, 2,
                                                reference_port, "reference" + std::to_string(r)));
  const auto resumed = testing::run_program_job(LATENTLAB_BINARY, dir, train_args(dir, "run", extra), 2);
  for (auto& run : reference)
    if (!testing::wait_rank(run, killed, 120)) testing::kill_rank(run);
  for (const auto& run : resumed) expect_ok(run);
  for (const auto& run : reference) expect_ok(run);
  EXPECT_CONTAINS(resumed[0].out(), "steps " + std::to_string(saved) + " -> 24");
  const double vae =
      testing::max_safetensors_difference(dir.file("reference/vae.safetensors"), dir.file("run/vae.safetensors"));
  const double ema = testing::max_safetensors_difference(dir.file("reference/vae-ema.safetensors"),
                                                         dir.file("run/vae-ema.safetensors"));
  std::cout << err << "killed at step " << saved << ", resumed vs uninterrupted (2 ranks): vae " << vae << ", ema "
            << ema << "\n";
  EXPECT_LE(vae, 1e-6);
  EXPECT_LE(ema, 1e-6);
}
#endif

}  // namespace
}  // namespace latentlab
