// Pearson and Spearman against closed forms worked by hand (the arithmetic is in the comments).
#include <gtest/gtest.h>

#include <cmath>

#include "stats/correlation.h"

namespace latentlab::stats {
namespace {

TEST(Correlation, PerfectLinearAndMonotone) {
  EXPECT_NEAR(pearson({1, 2, 3, 4}, {3, 5, 7, 9}), 1.0, 1e-15);
  EXPECT_NEAR(pearson({1, 2, 3, 4}, {-1, -2, -3, -4}), -1.0, 1e-15);
  // y = x^3 is monotone: Spearman 1 while Pearson is below 1.
  EXPECT_NEAR(spearman({1, 2, 3, 4}, {1, 8, 27, 64}), 1.0, 1e-15);
  EXPECT_LT(pearson({1, 2, 3, 4}, {1, 8, 27, 64}), 0.99);
}

TEST(Correlation, KnownValues) {
  // x = 1..5, y = 2 1 4 3 5: deviations -2 -1 0 1 2 and -1 -2 1 0 2, so Sxy = 2+2+0+0+4 = 8, Sxx = Syy = 10, r = 0.8;
  // the values are their own ranks, so Spearman is 0.8 too.
  EXPECT_NEAR(pearson({1, 2, 3, 4, 5}, {2, 1, 4, 3, 5}), 0.8, 1e-15);
  EXPECT_NEAR(spearman({1, 2, 3, 4, 5}, {2, 1, 4, 3, 5}), 0.8, 1e-15);
}

TEST(Correlation, TiesShareAverageRanks) {
  EXPECT_EQ(average_ranks({10, 20, 20, 30}), (std::vector<double>{1, 2.5, 2.5, 4}));
  EXPECT_EQ(average_ranks({5, 5, 5}), (std::vector<double>{2, 2, 2}));
  // Ranks 1 2.5 2.5 4 vs 1 2 3 4: deviations -1.5 0 0 1.5 and -1.5 -.5 .5 1.5, Sxy = 4.5, Sxx = 4.5, Syy = 5,
  // rho = 4.5 / sqrt(22.5) = sqrt(0.9).
  EXPECT_NEAR(spearman({10, 20, 20, 30}, {1, 2, 3, 4}), std::sqrt(0.9), 1e-15);
}

TEST(Correlation, UndefinedIsNan) {
  EXPECT_TRUE(std::isnan(pearson({1}, {2})));
  EXPECT_TRUE(std::isnan(pearson({1, 1, 1}, {1, 2, 3})));  // a constant series has no correlation
  EXPECT_TRUE(std::isnan(spearman({}, {})));
}

}  // namespace
}  // namespace latentlab::stats
