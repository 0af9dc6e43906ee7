// A c10d group of world size 1 (the driver's --force-group on): the whole collective path runs (broadcasts,
// GradientSync's buckets and overlap hooks, all-reduces, require_identical), and with one rank to sum over it
// must train exactly like no group at all. tools/gpu-check.sh times this path under NCCL on one GPU with the
// driver's bench; here it runs on Gloo, and the bench's command line is checked too.
#include <algorithm>

#include <gtest/gtest.h>

#include "support/expect_user_error.h"
#include "unit/distributed/rank_launcher.h"

namespace latentlab::testing {
namespace {

// The driver with `arguments` as rank 0 of a job of `world_size` (so MASTER_PORT is a free port).
RankRun run_as_rank0(const ScratchDir& scratch, const std::vector<std::string>& arguments, int world_size = 1,
                     const std::string& tag = "rank0") {
  const auto start = std::chrono::steady_clock::now();
  RankRun run = launch_program(LATENTLAB_DISTRIBUTED_DRIVER, scratch, arguments, 0, world_size, free_port(), tag);
  if (!wait_rank(run, start, 60)) kill_rank(run);
  return run;
}

#if LATENTLAB_WITH_GLOO
TEST(GroupOfOne, TrainsExactlyLikeNoGroup) {
  ScratchDir scratch;
  const std::vector<std::string> common{"train", "--model", "mlp", "--optimizer", "sgd",     "--steps",
                                        "5",     "--batch", "12",  "--sync",      "overlap", "--bucket-bytes",
                                        "600"};
  std::vector<std::string> plain_args = common, group_args = common;
  plain_args.insert(plain_args.end(), {"--out", scratch.file("plain.bin")});
  group_args.insert(group_args.end(), {"--out", scratch.file("group.bin"), "--force-group", "on"});
  const auto start = std::chrono::steady_clock::now();
  RankRun plain = launch_program(LATENTLAB_DISTRIBUTED_DRIVER, scratch, plain_args, -1, 1, 0);  // beside the group
  RankRun group = run_as_rank0(scratch, group_args);
  if (!wait_rank(plain, start, 60)) kill_rank(plain);
  ASSERT_EQ(plain.exit_code, 0) << plain.err();
  ASSERT_EQ(group.exit_code, 0) << group.err();
  // A real group: the Gloo backend, and several 600-byte buckets, some all-reduced during backward.
  EXPECT_CONTAINS(plain.out(), "rank 0 (none, world 1): buckets 0,");
  EXPECT_CONTAINS(group.out(), "rank 0 (gloo, world 1): buckets ");
  EXPECT_EQ(group.out().find("buckets 0,"), std::string::npos) << group.out();
  EXPECT_EQ(group.out().find("launched during backward 0"), std::string::npos) << group.out();
  // Bit for bit: dividing by a world size of 1 and summing one rank's buffer are exact.
  const std::string without = read_text(scratch.file("plain.bin")), with = read_text(scratch.file("group.bin"));
  EXPECT_GT(without.size(), 100 * sizeof(double));
  EXPECT_TRUE(without == with) << "the group of one trained other weights";
}

TEST(GroupOfOne, BenchTimesBothPaths) {
  ScratchDir scratch;
  // gpu-check.sh's command line (there with --backend nccl and a wide model), tiny.
  const RankRun run = run_as_rank0(scratch, {"bench", "--force-group", "on", "--backend", "gloo", "--steps", "2",
                                             "--width", "256", "--depth", "2", "--batch", "8", "--rounds", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err();
  const std::string out = run.out();
  // Two rounds of each; the group all-reduces 2 x (256 x 256 + 256) fp32 = 0.53 MB per step.
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 5) << out;
  EXPECT_CONTAINS(out, "none on cpu, world 1 sync overlap buckets 0 launched-during-backward 0 all-reduce 0.0 MB/step");
  EXPECT_CONTAINS(out, "gloo on cpu, world 1 sync overlap buckets 1 launched-during-backward 1 all-reduce 0.5 MB/step");
  EXPECT_CONTAINS(out, "group of one (gloo): ");
  EXPECT_CONTAINS(out, "(medians of 2 rounds)");
  EXPECT_CONTAINS(out, "all-reduce 0.5 MB/step in 1 buckets");
}

#else
// A Gloo-less build (the CUDA wheel) compiles the driver for gpu-check.sh's NCCL runs, but a CPU group cannot
// exist there: asking for one stops with a clear error instead of training without a group.
TEST(GroupOfOne, CpuGroupIsRefusedWithoutGloo) {
  ScratchDir scratch;
  const RankRun run = run_as_rank0(scratch, {"bench", "--force-group", "on", "--backend", "gloo", "--steps", "1"});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_CONTAINS(run.err(), "gloo is not compiled in");
}
#endif

TEST(GroupOfOne, BadOptionsStopWithOneLine) {
  ScratchDir scratch;
  const RankRun yes = run_as_rank0(scratch, {"bench", "--force-group", "yes"}, 1, "yes");
  EXPECT_EQ(yes.exit_code, 2);
  EXPECT_CONTAINS(yes.err(), "distributed_driver bench: error: --force-group: 'yes' is not on or off");
  const RankRun typo = run_as_rank0(scratch, {"bench", "--widht", "8"}, 1, "typo");
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_CONTAINS(typo.err(), "distributed_driver bench: error: --widht: unknown option");
  // Two ranks have a group anyway: the comparison is refused before any rendezvous.
  const RankRun two = run_as_rank0(scratch, {"bench", "--force-group", "on"}, 2, "two");
  EXPECT_EQ(two.exit_code, 2);
  EXPECT_CONTAINS(two.err(), "--force-group: bench compares one process with and without a group, not WORLD_SIZE=2");
}

}  // namespace
}  // namespace latentlab::testing
