// The rank-strided split of a seeded global batch: the union over ranks is the single-process batch.
#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "distributed/batch_split.h"
#include "support/expect_user_error.h"

namespace latentlab::distributed {
namespace {

TEST(BatchSplit, PermutationIsSeededAndComplete) {
  const auto a = epoch_permutation(1000, 42, 0);
  EXPECT_EQ(a, epoch_permutation(1000, 42, 0));
  EXPECT_NE(a, epoch_permutation(1000, 42, 1));  // a new order every epoch
  EXPECT_NE(a, epoch_permutation(1000, 43, 0));
  std::vector<int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[static_cast<size_t>(i)], i);
}

TEST(BatchSplit, ShuffleIsUniform) {
  // Over 4000 seeds every element leads a permutation of 4 about 1000 times (binomial sd ~27; 5 sd allowed).
  std::vector<int> first(4, 0);
  for (uint64_t seed = 0; seed < 4000; ++seed) ++first[static_cast<size_t>(epoch_permutation(4, seed, 0)[0])];
  for (int count : first) EXPECT_NEAR(count, 1000, 137);
}

TEST(BatchSplit, RanksPartitionTheGlobalBatch) {
  const BatchPlan plan{50, 12, 7};  // 4 steps per epoch, 2 rows dropped
  for (int world : {1, 2, 3, 4, 6, 12}) {
    for (int64_t step : {0, 3, 4, 9}) {
      const std::vector<int64_t> global = global_batch(plan, step);
      std::vector<int64_t> joined(global.size());
      for (int rank = 0; rank < world; ++rank) {
        const std::vector<int64_t> mine = rank_batch(plan, step, rank, world);
        ASSERT_EQ(mine.size(), global.size() / static_cast<size_t>(world));
        for (size_t j = 0; j < mine.size(); ++j)
          joined[j * static_cast<size_t>(world) + static_cast<size_t>(rank)] = mine[j];
      }
      EXPECT_EQ(joined, global) << "world " << world << " step " << step;  // rank-strided, in order
    }
  }
}

TEST(BatchSplit, AnEpochVisitsDistinctSamples) {
  const BatchPlan plan{50, 12, 7};
  std::set<int64_t> seen;
  for (int64_t step = 4; step < 8; ++step)  // the second epoch
    for (int64_t i : global_batch(plan, step)) EXPECT_TRUE(seen.insert(i).second) << "repeated " << i;
  EXPECT_EQ(seen.size(), 48u);
}

TEST(BatchSplit, UnevenBatchNamesTheOption) {
  using testing::problem_of;
  EXPECT_CONTAINS(problem_of(
                      [] {
                        validate(BatchPlan{50, 12, 0}, 5);
                      },
                      "--batch-size"),
                  "does not split evenly over WORLD_SIZE=5");
  EXPECT_CONTAINS(problem_of([] { validate(BatchPlan{10, 12, 0}, 1); }, "--batch-size"), "larger than the dataset");
}

}  // namespace
}  // namespace latentlab::distributed
