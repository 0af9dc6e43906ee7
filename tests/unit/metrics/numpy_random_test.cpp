// numpy's legacy RandomState draws, against values printed by numpy 1.24 (Debian 12):
//   np.random.RandomState(2020).permutation(10)            -> [2 4 9 1 5 7 6 3 8 0]
//   np.random.RandomState(0).permutation(8)                -> [6 2 1 7 3 0 5 4]
//   np.random.RandomState(2020).choice(100, 5, replace=False) -> [43 12 93 23 87] (the first 5 of permutation(100))
// Longer sequences are compared in tests/reference/metrics/inception_score_reference_test.cpp.
#include "metrics/generative/numpy_random.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace latentlab::metrics {
namespace {

TEST(NumpyRandomState, PermutationsMatchNumpy) {
  EXPECT_EQ(NumpyRandomState(2020).permutation(10), (std::vector<int64_t>{2, 4, 9, 1, 5, 7, 6, 3, 8, 0}));
  EXPECT_EQ(NumpyRandomState(0).permutation(8), (std::vector<int64_t>{6, 2, 1, 7, 3, 0, 5, 4}));
  EXPECT_EQ(NumpyRandomState(2020).choice_without_replacement(100, 5), (std::vector<int64_t>{43, 12, 93, 23, 87}));
  EXPECT_TRUE(NumpyRandomState(1).permutation(0).empty());
}

TEST(NumpyRandomState, PermutationIsAPermutation) {
  auto p = NumpyRandomState(9).permutation(1000);
  std::sort(p.begin(), p.end());
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(p[i], i);
}

TEST(NumpyRandomState, IntervalStaysInRange) {
  NumpyRandomState rng(4);
  for (uint64_t max : {0ULL, 1ULL, 5ULL, 1000ULL, 0xffffffffULL, 0x1ffffffffULL})
    for (int i = 0; i < 100; ++i) ASSERT_LE(rng.interval(max), max);
}

}  // namespace
}  // namespace latentlab::metrics
