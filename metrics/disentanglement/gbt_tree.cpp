#include "metrics/disentanglement/gbt_tree.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <numeric>

#include <ATen/Parallel.h>

namespace latentlab::metrics {
namespace {

constexpr double kFeatureThreshold = 1e-7;  // sklearn _splitter.pyx FEATURE_THRESHOLD

struct NodeStats {
  int64_t n = 0;
  double sum = 0.0, sq_sum = 0.0;
  double impurity() const { return sq_sum / n - (sum / n) * (sum / n); }
};

// The best split of one node along one feature (or across features after the merge).
struct Candidate {
  double proxy = -std::numeric_limits<double>::infinity();
  double threshold = 0.0;
  int32_t feature = -1;
  int32_t rank = std::numeric_limits<int32_t>::max();  // the feature's place in the node's random order
  bool better_than(const Candidate& other) const {
    return proxy > other.proxy || (proxy == other.proxy && feature >= 0 && rank < other.rank);
  }
};

// Scans column f in sorted order once and returns the best split of every open node (slot) along it.
std::vector<Candidate> best_along_feature(const GbtFeatures& x, int32_t f, const std::vector<double>& target,
                                          const std::vector<int32_t>& node_of, const std::vector<int32_t>& slot_of,
                                          const std::vector<NodeStats>& slot_stats) {
  const size_t slots = slot_stats.size();
  std::vector<Candidate> best(slots);
  std::vector<int64_t> count(slots, 0);
  std::vector<double> sum_left(slots, 0.0);
  std::vector<float> first(slots, 0.f), last(slots, 0.f);
  const float* column = x.column(f);
  const int32_t* order = x.order.data() + static_cast<int64_t>(f) * x.rows;
  for (int64_t p = 0; p < x.rows; ++p) {
    const int32_t i = order[p];
    const int32_t s = slot_of[node_of[i]];
    if (s < 0) continue;
    const float v = column[i];
    if (count[s] == 0) {
      first[s] = v;
    } else if (static_cast<double>(v) > static_cast<double>(last[s]) + kFeatureThreshold) {
      const double nl = static_cast<double>(count[s]), nr = static_cast<double>(slot_stats[s].n - count[s]);
      const double sl = sum_left[s], sr = slot_stats[s].sum - sl;
      const double diff = nr * sl - nl * sr;
      const double proxy = diff * diff / (nl * nr);
      if (proxy > best[s].proxy) {
        double threshold = last[s] / 2.0 + v / 2.0;
        if (threshold == static_cast<double>(v) || !std::isfinite(threshold)) threshold = last[s];
        best[s].proxy = proxy;
        best[s].threshold = threshold;
        best[s].feature = f;
      }
    }
    ++count[s];
    sum_left[s] += target[i];
    last[s] = v;
  }
  // sklearn skips a feature that is constant within the node (max <= min + FEATURE_THRESHOLD).
  for (size_t s = 0; s < slots; ++s)
    if (count[s] > 0 && static_cast<double>(last[s]) <= static_cast<double>(first[s]) + kFeatureThreshold)
      best[s] = Candidate{};
  return best;
}

}  // namespace

GbtFeatures make_gbt_features(const double* row_major, int64_t rows, int64_t cols) {
  GbtFeatures x;
  x.rows = rows;
  x.cols = cols;
  x.values.resize(rows * cols);
  x.order.resize(rows * cols);
  at::parallel_for(0, cols, 1, [&](int64_t begin, int64_t end) {
    for (int64_t f = begin; f < end; ++f) {
      float* column = x.values.data() + f * rows;
      for (int64_t i = 0; i < rows; ++i) column[i] = static_cast<float>(row_major[i * cols + f]);
      int32_t* order = x.order.data() + f * rows;
      std::iota(order, order + rows, 0);
      std::stable_sort(order, order + rows, [&](int32_t a, int32_t b) { return column[a] < column[b]; });
    }
  });
  return x;
}

RegressionTree grow_regression_tree(const GbtFeatures& x, const std::vector<double>& target, int max_depth,
                                    std::mt19937_64& rng, std::vector<int32_t>& leaf_of,
                                    std::vector<double>& importance) {
  RegressionTree tree;
  std::vector<NodeStats> stats(1);
  for (int64_t i = 0; i < x.rows; ++i) {
    stats[0].n += 1;
    stats[0].sum += target[i];
    stats[0].sq_sum += target[i] * target[i];
  }
  tree.nodes.emplace_back();
  leaf_of.assign(x.rows, 0);
  std::vector<int32_t> frontier{0};
  for (int depth = 0; depth < max_depth && !frontier.empty(); ++depth) {
    // Open nodes of this level get a slot; the rest stay leaves.
    std::vector<int32_t> slot_of(tree.nodes.size(), -1), open;
    std::vector<NodeStats> slot_stats;
    for (int32_t node : frontier) {
      if (stats[node].n < 2 || stats[node].impurity() <= DBL_EPSILON) continue;
      slot_of[node] = static_cast<int32_t>(open.size());
      open.push_back(node);
      slot_stats.push_back(stats[node]);
    }
    if (open.empty()) break;
    std::vector<std::vector<int32_t>> rank(open.size(), std::vector<int32_t>(x.cols));
    for (auto& r : rank) {
      std::iota(r.begin(), r.end(), 0);
      std::shuffle(r.begin(), r.end(), rng);
    }
    std::vector<std::vector<Candidate>> per_feature(x.cols);
    at::parallel_for(0, x.cols, 1, [&](int64_t begin, int64_t end) {
      for (int64_t f = begin; f < end; ++f)
        per_feature[f] = best_along_feature(x, static_cast<int32_t>(f), target, leaf_of, slot_of, slot_stats);
    });
    std::vector<Candidate> best(open.size());
    for (int64_t f = 0; f < x.cols; ++f)
      for (size_t s = 0; s < open.size(); ++s) {
        Candidate c = per_feature[f][s];
        if (c.feature < 0) continue;
        c.rank = rank[s][f];
        if (c.better_than(best[s])) best[s] = c;
      }
    // Split the nodes that found a split; route their samples to the children.
    std::vector<int32_t> next;
    for (size_t s = 0; s < open.size(); ++s) {
      if (best[s].feature < 0) continue;
      const int32_t node = open[s];
      const auto left = static_cast<int32_t>(tree.nodes.size());
      tree.nodes[node].feature = best[s].feature;
      tree.nodes[node].threshold = best[s].threshold;
      tree.nodes[node].left = left;
      tree.nodes[node].right = left + 1;
      tree.nodes.resize(tree.nodes.size() + 2);
      stats.resize(tree.nodes.size());
      next.push_back(left);
      next.push_back(left + 1);
    }
    for (int64_t i = 0; i < x.rows; ++i) {
      const auto& n = tree.nodes[leaf_of[i]];
      if (n.feature < 0) continue;
      const int32_t child = static_cast<double>(x.column(n.feature)[i]) <= n.threshold ? n.left : n.right;
      leaf_of[i] = child;
      stats[child].n += 1;
      stats[child].sum += target[i];
      stats[child].sq_sum += target[i] * target[i];
    }
    for (size_t s = 0; s < open.size(); ++s) {
      const auto& n = tree.nodes[open[s]];
      if (n.feature < 0) continue;
      const auto &a = stats[open[s]], &l = stats[n.left], &r = stats[n.right];
      importance[n.feature] += (a.n * a.impurity() - l.n * l.impurity() - r.n * r.impurity()) / x.rows;
    }
    frontier = std::move(next);
  }
  return tree;
}

}  // namespace latentlab::metrics
