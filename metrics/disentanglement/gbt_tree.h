// One regression tree of a gradient-boosted ensemble, grown as sklearn's DecisionTreeRegressor(criterion=
// "friedman_mse", splitter="best", max_depth, min_samples_split 2, min_samples_leaf 1) grows it
// (sklearn/tree/_splitter.pyx, _criterion.pyx, BSD-3-Clause; ../shared/docs/METRICS.md §11):
//   - features are float32 (sklearn casts X to float32); a split sits between two consecutive sorted values
//     of a node that differ by more than 1e-7 (FEATURE_THRESHOLD), threshold = x[p-1]/2 + x[p]/2 in double
//     (x[p-1] when that rounds onto x[p]); a sample goes left when x <= threshold;
//   - the best split maximises Friedman's proxy (n_r s_l - n_l s_r)^2 / (n_l n_r) over features and
//     positions (first maximum in position order; across features sklearn's random feature order breaks
//     ties, here a seeded random rank per node does);
//   - a node is a leaf at max_depth, with < 2 samples, with impurity <= DBL_EPSILON, or without a split;
//   - node impurity = sum(r^2)/n - (sum(r)/n)^2; a split's importance n imp - n_l imp_l - n_r imp_r.
// Exact search, level by level: each feature's presorted sample order is scanned once per depth and every
// sample is routed to its node, so a level costs O(N D) without re-sorting or partitioning.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace latentlab::metrics {

// Training features, float32 column-major, with each column's ascending sample order.
struct GbtFeatures {
  int64_t rows = 0, cols = 0;
  std::vector<float> values;   // cols * rows: column f starts at f * rows
  std::vector<int32_t> order;  // cols * rows: samples of column f sorted by value
  const float* column(int64_t f) const { return values.data() + f * rows; }
};
// From row-major float64 (rows, cols) values; sorts each column.
GbtFeatures make_gbt_features(const double* row_major, int64_t rows, int64_t cols);

struct RegressionTree {
  struct Node {
    int32_t feature = -1;  // -1: leaf
    double threshold = 0.0;
    int32_t left = -1, right = -1;
    double value = 0.0;  // leaf output (set by the booster)
  };
  std::vector<Node> nodes;  // node 0 is the root
  // Leaf reached by one row; `x(f)` returns feature f of that row as float32.
  template <typename Get>
  int32_t leaf(const Get& x) const {
    int32_t n = 0;
    while (nodes[n].feature >= 0)
      n = static_cast<double>(x(nodes[n].feature)) <= nodes[n].threshold ? nodes[n].left : nodes[n].right;
    return n;
  }
};

// Grows a tree on `target` (one value per row). Returns the tree (leaf values 0), the leaf of every
// training row in `leaf_of`, and adds each split's unnormalised impurity decrease / rows to `importance`
// (cols entries).
RegressionTree grow_regression_tree(const GbtFeatures& features, const std::vector<double>& target, int max_depth,
                                    std::mt19937_64& rng, std::vector<int32_t>& leaf_of,
                                    std::vector<double>& importance);

}  // namespace latentlab::metrics
