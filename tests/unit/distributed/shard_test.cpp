// --shard i/n parsing, the RANK/WORLD_SIZE fallback, {rank} in output paths, and exact partitions.
#include <gtest/gtest.h>

#include "distributed/launch_env.h"
#include "distributed/shard.h"
#include "support/expect_user_error.h"

namespace latentlab::distributed {
namespace {

TEST(Shard, ParsesAndRoundTrips) {
  const Shard shard = parse_shard("2/5");
  EXPECT_EQ(shard.index, 2);
  EXPECT_EQ(shard.count, 5);
  EXPECT_EQ(parse_shard(shard.str()).str(), "2/5");
  EXPECT_TRUE(parse_shard("0/1").whole());
}

TEST(Shard, BadSpecsNameTheOption) {
  using testing::problem_of;
  EXPECT_CONTAINS(problem_of([] { parse_shard("3"); }, "--shard"), "not of the form i/n");
  EXPECT_CONTAINS(problem_of([] { parse_shard("3/3"); }, "--shard (i in i/n)"), "outside 0..2");
  EXPECT_CONTAINS(problem_of([] { parse_shard("0/0"); }, "--shard (n in i/n)"), "outside 1..");
  EXPECT_CONTAINS(problem_of([] { parse_shard("-1/2"); }, "--shard (i in i/n)"), "outside");
  EXPECT_CONTAINS(problem_of([] { parse_shard("a/2"); }, "--shard (i in i/n)"), "not an integer");
}

TEST(Shard, FallsBackToRankAndWorldSize) {
  LaunchEnv env;
  env.rank = 3;
  env.world_size = 4;
  EXPECT_EQ(resolve_shard("", env).str(), "3/4");
  EXPECT_EQ(resolve_shard("1/2", env).str(), "1/2");  // the option wins
  EXPECT_EQ(resolve_shard("", LaunchEnv{}).str(), "0/1");
}

TEST(Shard, OutputPathsNameTheRank) {
  LaunchEnv env;
  env.rank = 1;
  env.world_size = 3;
  const Shard launched = resolve_shard("", env);
  EXPECT_TRUE(launched.from_launch);
  EXPECT_EQ(shard_output("out/s-{rank}-of-{world}.npz", launched, "--out"), "out/s-1-of-3.npz");
  EXPECT_EQ(shard_output("{rank}/{rank}.h5", launched, "--out"), "1/1.h5");  // every occurrence
  EXPECT_EQ(shard_output("", launched, "--results"), "");                    // an optional output left out
  // An explicit --shard: the user chose the path; placeholders still work.
  const Shard given = resolve_shard("2/4", env);
  EXPECT_FALSE(given.from_launch);
  EXPECT_EQ(shard_output("s.npz", given, "--out"), "s.npz");
  EXPECT_EQ(shard_output("s-{rank}.npz", given, "--out"), "s-2.npz");
  // One process (no launcher, or WORLD_SIZE=1): shard 0/1, nothing to clobber.
  EXPECT_EQ(shard_output("s.npz", resolve_shard("", LaunchEnv{}), "--out"), "s.npz");
  EXPECT_EQ(shard_output("s-{rank}.npz", resolve_shard("", LaunchEnv{}), "--out"), "s-0.npz");
}

TEST(Shard, LaunchedShardsRefuseACommonOutputPath) {
  using testing::problem_of;
  LaunchEnv env;
  env.rank = 0;
  env.world_size = 2;
  const Shard launched = resolve_shard("", env);
  const std::string problem = problem_of([&] { shard_output("runs/stats.npz", launched, "--out"); }, "--out");
  EXPECT_CONTAINS(problem, "'runs/stats.npz' would be written by every rank (shard 0/2 from RANK/WORLD_SIZE)");
  EXPECT_CONTAINS(problem, "add {rank} to the path, e.g. 'runs/stats-{rank}.npz'");
  EXPECT_CONTAINS(problem_of([&] { shard_output("s-{world}", launched, "--save-grid"); }, "--save-grid"),
                  "e.g. 's-{world}-{rank}'");  // {world} alone is the same on every rank
}

TEST(Shard, RangesPartitionExactly) {
  // Every row in exactly one shard, in order, sizes differing by at most one.
  for (int64_t total : {0, 1, 7, 10, 50000, 1281167}) {
    for (int count : {1, 2, 3, 7, 8, 13}) {
      int64_t expected_begin = 0, smallest = total, largest = 0;
      for (int i = 0; i < count; ++i) {
        const ShardRange range = shard_range(total, Shard{i, count});
        EXPECT_EQ(range.begin, expected_begin) << total << " rows, shard " << i << "/" << count;
        expected_begin = range.end;
        smallest = std::min(smallest, range.size());
        largest = std::max(largest, range.size());
      }
      EXPECT_EQ(expected_begin, total);
      EXPECT_LE(largest - smallest, 1);
    }
  }
  const ShardRange huge = shard_range(int64_t{1} << 62, Shard{3, 4});  // no overflow in total * i
  EXPECT_EQ(huge.begin, (int64_t{1} << 62) / 4 * 3);
  EXPECT_EQ(huge.end, int64_t{1} << 62);
}

}  // namespace
}  // namespace latentlab::distributed
