// Histogram discretiser and discrete MI/entropy against the exact oracles of METRICS.md §15 (taken from
// disentanglement_lib utils_test.py), plus np.histogram's constant-row and maximum-value conventions.
#include "metrics/disentanglement/mutual_info.h"

#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

namespace latentlab::metrics {
namespace {

TEST(MutualInfo, HistogramDiscretiserOracle) {
  EXPECT_EQ(histogram_discretize({0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, 3), (std::vector<int32_t>{1, 1, 2, 2, 3, 3}));
  EXPECT_EQ(histogram_discretize({0.6, 0.5, 0.4, 0.3, 0.2, 0.1}, 3), (std::vector<int32_t>{3, 3, 2, 2, 1, 1}));
}

TEST(MutualInfo, MaximumFallsInLastBinAndConstantRowsInOne) {
  const auto ids = histogram_discretize({0.0, 1.0, 2.0, 20.0}, 20);
  EXPECT_EQ(ids.front(), 1);
  EXPECT_EQ(ids.back(), 20);
  EXPECT_EQ(ids[1], 2);  // edge e_1 = 1.0 belongs to bin 2 (np.digitize, right=False)
  // np.histogram of a constant row uses the range (x - 0.5, x + 0.5): the value sits at edge 10 of 20.
  EXPECT_EQ(histogram_discretize({3.0, 3.0, 3.0}, 20), (std::vector<int32_t>{11, 11, 11}));
}

TEST(MutualInfo, EntropyAndMutualInformationOracle) {
  EXPECT_NEAR(discrete_entropy({1, 1, 2, 2, 3, 3}), std::log(3.0), 1e-15);
  EXPECT_NEAR(discrete_entropy({3, 3, 2, 2, 1, 1}), std::log(3.0), 1e-15);
  // xs [[1,2,1,2],[1,1,2,2]], ys [[1,2,1,2],[2,2,1,1]] -> MI [[ln 2, 0], [0, ln 2]]
  const std::vector<std::vector<int32_t>> xs{{1, 2, 1, 2}, {1, 1, 2, 2}}, ys{{1, 2, 1, 2}, {2, 2, 1, 1}};
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      EXPECT_NEAR(discrete_mutual_info(xs[i], ys[j]), i == j ? std::log(2.0) : 0.0, 1e-15) << i << j;
}

TEST(MutualInfo, ConstantLabelsCarryNoInformation) {
  EXPECT_EQ(discrete_mutual_info({0, 0, 0, 0}, {0, 1, 2, 3}), 0.0);
  EXPECT_EQ(discrete_entropy({5, 5, 5}), 0.0);
}

TEST(MutualInfo, MatrixRowsAreCodesColumnsFactors) {
  const auto codes = at::tensor({0.0, 5.0, 1.0, 5.0, 0.0, 6.0, 1.0, 6.0}, at::kDouble).view({4, 2});
  const auto m = discretized_mutual_info_matrix(codes, {{0, 1, 0, 1}, {0, 0, 1, 1}}, 2);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_NEAR(m[0][0], std::log(2.0), 1e-15);
  EXPECT_NEAR(m[0][1], 0.0, 1e-15);
  EXPECT_NEAR(m[1][1], std::log(2.0), 1e-15);
}

}  // namespace
}  // namespace latentlab::metrics
