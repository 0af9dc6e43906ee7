// Correlation of two equally long series: Pearson's r and Spearman's rho (Pearson of average ranks, so
// ties count as scipy.stats.spearmanr counts them). NaN when fewer than two points or a series is constant.
#pragma once

#include <vector>

namespace latentlab::stats {

double pearson(const std::vector<double>& x, const std::vector<double>& y);
double spearman(const std::vector<double>& x, const std::vector<double>& y);
// 1-based ranks, ties sharing the average of their ranks.
std::vector<double> average_ranks(const std::vector<double>& values);

}  // namespace latentlab::stats
