// Two ranks on loopback with Gloo against one process, through the test driver
// (tests/distributed/distributed_driver.cpp): the data-parallel services must make 2 ranks on halves of each
// global batch train exactly like 1 process on the whole batch. The model and data are float64, so the
// 1e-6 tolerance only absorbs the different summation order of the averaged gradients (~1e-16 relative),
// not float32 rounding; a wrong split, a missing broadcast or an unaveraged gradient is off by >1e-3.
#include <cmath>
#include <cstring>

#include <gtest/gtest.h>

#include "support/expect_user_error.h"
#include "unit/distributed/rank_launcher.h"

namespace latentlab::testing {
namespace {

std::vector<double> read_doubles(const std::string& path) {
  const std::string bytes = read_text(path);
  std::vector<double> values(bytes.size() / sizeof(double));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(double));
  return values;
}

double max_abs_difference_of(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double largest = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) largest = std::max(largest, std::abs(a[i] - b[i]));
  return largest;
}

int count_lines_with(const std::string& text, const std::string& fragment) {
  int count = 0;
  for (size_t at = text.find(fragment); at != std::string::npos; at = text.find(fragment, text.find('\n', at))) ++count;
  return count;
}

void expect_success(const RankRun& run) {
  EXPECT_EQ(run.exit_code, 0) << run.err();
}

// Trains with `arguments` as 1 process and as 2 ranks; returns the largest parameter difference.
double one_versus_two(const std::vector<std::string>& arguments, std::vector<RankRun>* ranks = nullptr) {
  ScratchDir scratch;
  std::vector<std::string> single_args = arguments, job_args = arguments;
  single_args.insert(single_args.end(), {"--out", scratch.file("single.bin")});
  job_args.insert(job_args.end(), {"--out", scratch.file("job.bin")});
  const auto start = std::chrono::steady_clock::now();
  RankRun single = launch_rank(scratch, single_args, -1, 1, 0);  // beside the job: start-up dominates
  std::vector<RankRun> job = run_job(scratch, job_args, 2);
  if (!wait_rank(single, start, 60)) kill_rank(single);
  expect_success(single);
  for (const RankRun& run : job) expect_success(run);
  if (ranks) *ranks = job;
  const std::vector<double> one = read_doubles(scratch.file("single.bin"));
  EXPECT_GT(one.size(), 100u);
  for (const RankRun& run : job) EXPECT_CONTAINS(run.out(), "buckets");
  return max_abs_difference_of(one, read_doubles(scratch.file("job.bin")));
}

TEST(DataParallel, MlpSgdOverlappedEqualsOneProcess) {
  std::vector<RankRun> ranks;
  EXPECT_LE(one_versus_two({"train", "--model", "mlp", "--optimizer", "sgd", "--steps", "5", "--batch", "12", "--sync",
                            "overlap", "--bucket-bytes", "600"},
                           &ranks),
            1e-6);
  // 600-byte buckets split the 3-layer MLP into several; hooks must launch some during backward.
  EXPECT_EQ(ranks[0].out().find("launched during backward 0"), std::string::npos) << ranks[0].out();
}

TEST(DataParallel, ConvAdamWAfterBackwardEqualsOneProcess) {
  // Steps 0..5 of a 48-sample set with batch 16 cross an epoch boundary (3 steps per epoch).
  EXPECT_LE(one_versus_two({"train", "--model", "conv", "--optimizer", "adamw", "--steps", "5", "--batch", "16",
                            "--sync", "after", "--bucket-bytes", "256"}),
            1e-6);
}

TEST(DataParallel, ConvAdamWOverlappedEqualsOneProcess) {
  EXPECT_LE(one_versus_two({"train", "--model", "conv", "--optimizer", "adamw", "--steps", "4", "--batch", "8",
                            "--sync", "overlap"}),
            1e-6);
}

TEST(DataParallel, BatchNormRunningMeanEqualsOneProcess) {
  // average_buffers: the running mean is exact (linear update, equal halves); the running variance averages
  // per-rank variances, so it is only close (documented in module_sync.h).
  ScratchDir scratch;
  expect_success(run_single(scratch, {"batchnorm", "--batch", "24", "--out", scratch.file("single.bin")}));
  for (const RankRun& run : run_job(scratch, {"batchnorm", "--batch", "24", "--out", scratch.file("job.bin")}, 2))
    expect_success(run);
  const std::vector<double> one = read_doubles(scratch.file("single.bin")), two = read_doubles(scratch.file("job.bin"));
  ASSERT_EQ(one.size(), 6u);
  ASSERT_EQ(two.size(), 6u);
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(one[c], two[c], 1e-12) << "running_mean channel " << c;
    EXPECT_NEAR(one[3 + c], two[3 + c], 0.5) << "running_var channel " << c;
    EXPECT_GT(std::abs(one[c]), 0.05) << "the update moved the mean";
  }
}

TEST(DataParallel, SyncBatchNormEqualsOneProcessOnTheWholeBatch) {
  // sync_batch_norm on 2 ranks against torch's BatchNorm2d on the concatenated batch (float64, two steps):
  // outputs, input gradients, weight and bias gradients, running mean and unbiased running variance, and
  // num_batches_tracked. Per-rank BatchNorm (--sync off) is the control: it is off by far more.
  ScratchDir scratch;
  const std::vector<std::string> common{"syncbn", "--batch", "24", "--out"};
  auto with = [&](const std::string& file, std::vector<std::string> extra = {}) {
    std::vector<std::string> arguments = common;
    arguments.push_back(scratch.file(file));
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    return arguments;
  };
  expect_success(run_single(scratch, with("single.bin")));
  for (const RankRun& run : run_job(scratch, with("sync.bin"), 2)) expect_success(run);
  for (const RankRun& run : run_job(scratch, with("local.bin", {"--sync", "off"}), 2)) expect_success(run);
  const std::vector<double> one = read_doubles(scratch.file("single.bin"));
  ASSERT_EQ(one.size(), 2u * 24 * 12 + 4 * 3 + 1);
  EXPECT_EQ(one.back(), 2) << "num_batches_tracked";
  const double synchronised = max_abs_difference_of(one, read_doubles(scratch.file("sync.bin")));
  const double local = max_abs_difference_of(one, read_doubles(scratch.file("local.bin")));
  std::cout << "largest difference from one process: SyncBatchNorm " << synchronised << ", per-rank " << local << "\n";
  EXPECT_LE(synchronised, 1e-10);
  EXPECT_GT(local, 1e-3);
}

TEST(DataParallel, ResumedRanksContinueExactly) {
  // Rank 0 writes a checkpoint at step 2 (write_on_rank0); a second job resumes both ranks from it and must
  // end where the uninterrupted job ended, bit for bit (SGD without momentum: parameters are the whole state).
  ScratchDir scratch;
  const std::vector<std::string> common{"train",   "--model", "mlp",     "--optimizer", "sgd",
                                        "--steps", "4",       "--batch", "12"};
  std::vector<std::string> first = common, second = common;
  first.insert(first.end(), {"--checkpoint", scratch.file("step2.ckpt"), "--checkpoint-step", "2", "--out",
                             scratch.file("straight.bin")});
  second.insert(second.end(), {"--resume", scratch.file("step2.ckpt"), "--out", scratch.file("resumed.bin")});
  for (const RankRun& run : run_job(scratch, first, 2)) expect_success(run);
  for (const RankRun& run : run_job(scratch, second, 2)) expect_success(run);
  EXPECT_EQ(
      max_abs_difference_of(read_doubles(scratch.file("straight.bin")), read_doubles(scratch.file("resumed.bin"))), 0);
  EXPECT_FALSE(file_exists(scratch.file("step2.ckpt.tmp")));
}

TEST(RankFailure, KilledRankStopsTheOtherWithinTheTimeout) {
  ScratchDir scratch;
  const double timeout_s = 10;
  std::vector<RankRun> job = run_job(scratch,
                                     {"train", "--steps", "1000", "--timeout", "10", "--kill-rank", "1", "--kill-step",
                                      "3", "--out", scratch.file("never.bin")},
                                     2, 60);  // a hang guard: start-up alone can take 10 s on a loaded machine
  EXPECT_EQ(job[1].exit_code, 128 + SIGKILL);
  EXPECT_EQ(job[0].exit_code, 1) << job[0].err();
  EXPECT_LT(job[0].seconds - job[1].seconds, timeout_s);  // after the death, within the timeout
  const std::string err = job[0].err();
  EXPECT_CONTAINS(err, "error: distributed: rank 0 of 2: ");
  EXPECT_CONTAINS(err, "another rank stopped or did not answer within 10 s; stopping");
  EXPECT_EQ(count_lines_with(err, "error:"), 1) << err;
  EXPECT_FALSE(file_exists(scratch.file("never.bin")));
}

TEST(RankFailure, StalledRankTimesOutTheOther) {
  ScratchDir scratch;
  const std::string marker = scratch.file("stalled");  // rank 1 creates it when it starts to sleep
  const std::vector<std::string> arguments{"train", "--steps",      "1000", "--timeout",      "2",   "--stall-rank",
                                           "1",     "--stall-step", "2",    "--stall-marker", marker};
  const int port = free_port();
  auto start = std::chrono::steady_clock::now();
  RankRun rank0 = launch_rank(scratch, arguments, 0, 2, port), rank1 = launch_rank(scratch, arguments, 1, 2, port);
  while (!file_exists(marker) && std::chrono::steady_clock::now() - start < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  start = std::chrono::steady_clock::now();
  const bool ended = wait_rank(rank0, start, 30);
  EXPECT_FALSE(wait_rank(rank1, start, 0)) << "rank 1 sleeps until killed";
  kill_rank(rank1);
  ASSERT_TRUE(ended) << "rank 0 hung";
  EXPECT_EQ(rank0.exit_code, 1) << rank0.err();
  EXPECT_GT(rank0.seconds, 1);      // it waited for (about) the 2 s timeout ...
  EXPECT_LT(rank0.seconds, 2 + 8);  // ... and not much longer (8 s of slack for a loaded machine)
  EXPECT_CONTAINS(rank0.err(), "did not answer within 2 s; stopping");
  EXPECT_EQ(count_lines_with(rank0.err(), "error:"), 1) << rank0.err();
}

TEST(RankFailure, FailedCheckpointWriteStopsEveryRank) {
  // write_on_rank0: rank 0 reports its own error, the others learn that the write failed instead of waiting.
  ScratchDir scratch;
  const std::string path = scratch.file("missing-dir/step0.ckpt");
  std::vector<RankRun> job =
      run_job(scratch, {"train", "--steps", "2", "--checkpoint", path, "--checkpoint-step", "0"}, 2, 60);
  EXPECT_EQ(job[0].exit_code, 1);
  EXPECT_CONTAINS(job[0].err(), "error: " + path + ": cannot write");
  EXPECT_EQ(job[1].exit_code, 1);
  EXPECT_CONTAINS(job[1].err(), "error: distributed: rank 1: rank 0 could not write the checkpoint " + path);
}

TEST(RankFailure, MissingRankFailsRendezvousWithinTheTimeout) {
  ScratchDir scratch;
  const auto start = std::chrono::steady_clock::now();
  RankRun alone = launch_rank(scratch, {"train", "--timeout", "1"}, 0, 2, free_port());
  ASSERT_TRUE(wait_rank(alone, start, 60)) << "rank 0 hung waiting for rank 1";
  EXPECT_EQ(alone.exit_code, 1);
  EXPECT_CONTAINS(alone.err(), "error: distributed: rank 0 of 2: rendezvous at 127.0.0.1:");
}

}  // namespace
}  // namespace latentlab::testing
