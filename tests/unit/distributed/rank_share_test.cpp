// rank_share.h: a rank's rows of a global batch are the rank-strided ones batch_split.h and the pipeline's
// shard give it (the ranks' rows partition the batch), per-rank values average to themselves with one
// process, and the (seed, step, rank) seeds differ wherever one of the three does.
#include <set>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "distributed/batch_split.h"
#include "distributed/communicator.h"
#include "distributed/rank_share.h"

namespace latentlab::distributed {
namespace {

TEST(RankShare, RankRowsPartitionTheGlobalBatchLikeRankBatch) {
  const at::Tensor global = at::arange(12, at::kLong).view({6, 2});  // row k holds 2k, 2k + 1
  const BatchPlan plan{6, 6, 0};
  std::vector<int64_t> seen;
  for (int rank = 0; rank < 3; ++rank) {
    const at::Tensor rows = rank_rows(global, rank, 3);
    ASSERT_EQ(rows.size(0), 2);
    // The same positions of the global batch as rank_batch() picks: rank, rank + 3.
    const std::vector<int64_t> batch = global_batch(plan, 0), mine = rank_batch(plan, 0, rank, 3);
    for (int64_t i = 0; i < rows.size(0); ++i) {
      const int64_t position = rows[i][0].item<int64_t>() / 2;
      EXPECT_EQ(position, rank + 3 * i);
      EXPECT_EQ(batch[static_cast<size_t>(position)], mine[static_cast<size_t>(i)]);
      seen.push_back(position);
    }
  }
  EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), 6u);
  EXPECT_TRUE(at::equal(rank_rows(global, 0, 1), global));
}

TEST(RankShare, OneProcessKeepsItsValues) {
  Communicator single;
  std::vector<double> values{0.25, -3.0, 1e-300};
  average_values(single, values);
  EXPECT_EQ(values, (std::vector<double>{0.25, -3.0, 1e-300}));
}

TEST(RankShare, SeedsDifferPerStepAndRankAndFitTheLow32Bits) {
  std::set<uint64_t> low_halves;
  for (uint64_t seed : {0ull, 1ull})
    for (int64_t step = 0; step < 50; ++step)
      for (int rank = 0; rank < 8; ++rank) low_halves.insert(rank_step_seed(seed, step, rank) & 0xffffffffull);
  EXPECT_EQ(low_halves.size(), 2u * 50u * 8u);  // mt19937 takes only these bits
  EXPECT_EQ(rank_step_seed(7, 3, 1), rank_step_seed(7, 3, 1));
}

}  // namespace
}  // namespace latentlab::distributed
