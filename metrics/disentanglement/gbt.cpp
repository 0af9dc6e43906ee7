#include "metrics/disentanglement/gbt.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "core/error.h"

namespace latentlab::metrics {
namespace {

constexpr double kFloat32Eps = FLT_EPSILON;  // np.finfo(np.float32).eps, the prior clip

double expit(double v) {
  return 1.0 / (1.0 + std::exp(-v));
}

// Row-major float64 contiguous CPU copy of x.
at::Tensor as_rows(const at::Tensor& x) {
  return x.to(at::kCPU, at::kDouble).contiguous();
}

}  // namespace

GbtClassifier GbtClassifier::fit(const at::Tensor& x_in, const std::vector<int32_t>& labels, int32_t num_classes,
                                 const GbtOptions& options) {
  LATENTLAB_ASSERT(x_in.dim() == 2 && x_in.size(0) == static_cast<int64_t>(labels.size()), "GBT shapes");
  LATENTLAB_ASSERT(num_classes >= 1 && options.num_stages >= 1 && options.max_depth >= 1, "GBT options");
  const auto x = as_rows(x_in);
  const int64_t n = x.size(0);
  GbtClassifier model;
  model.num_classes_ = num_classes;
  model.num_features_ = x.size(1);
  model.learning_rate_ = options.learning_rate;
  model.importances_.assign(model.num_features_, 0.0);
  if (num_classes == 1) return model;

  const int32_t k_count = num_classes == 2 ? 1 : num_classes;
  std::vector<double> prior(num_classes, 0.0);
  for (int32_t y : labels) prior[y] += 1.0 / n;
  for (auto& p : prior) p = std::clamp(p, kFloat32Eps, 1.0 - kFloat32Eps);
  if (k_count == 1)
    model.init_ = {std::log(prior[1] / (1.0 - prior[1]))};
  else
    for (double p : prior) model.init_.push_back(std::log(p));

  const auto features = make_gbt_features(x.data_ptr<double>(), n, model.num_features_);
  std::vector<double> raw(n * k_count);  // (n, K) row-major
  for (int64_t i = 0; i < n; ++i) std::copy(model.init_.begin(), model.init_.end(), raw.begin() + i * k_count);
  std::mt19937_64 seeder(options.seed);
  std::vector<double> tree_importance_sum(model.num_features_, 0.0);
  for (int64_t stage = 0; stage < options.num_stages; ++stage) {
    const std::vector<double> start = raw;  // every tree of a stage sees the stage's starting scores
    std::vector<RegressionTree> trees(k_count);
    std::vector<std::vector<double>> importance(k_count, std::vector<double>(model.num_features_, 0.0));
    std::vector<uint64_t> seeds(k_count);
    for (auto& s : seeds) s = seeder();
    auto grow = [&](int64_t begin, int64_t end) {
      std::vector<double> y(n), residual(n);
      std::vector<int32_t> leaf_of;
      for (int64_t k = begin; k < end; ++k) {
        for (int64_t i = 0; i < n; ++i) {
          const double* f = start.data() + i * k_count;
          if (k_count == 1) {
            y[i] = labels[i] == 1;
            residual[i] = y[i] - expit(f[0]);
          } else {
            y[i] = labels[i] == k;
            const double top = *std::max_element(f, f + k_count);
            double total = 0.0;
            for (int32_t c = 0; c < k_count; ++c) total += std::exp(f[c] - top);
            residual[i] = y[i] - std::exp(f[k] - (top + std::log(total)));
          }
        }
        std::mt19937_64 rng(seeds[k]);
        trees[k] = grow_regression_tree(features, residual, options.max_depth, rng, leaf_of, importance[k]);
        // Newton step per leaf (sklearn _update_terminal_region).
        const size_t nodes = trees[k].nodes.size();
        std::vector<double> numerator(nodes, 0.0), denominator(nodes, 0.0);
        for (int64_t i = 0; i < n; ++i) {
          numerator[leaf_of[i]] += residual[i];
          denominator[leaf_of[i]] += (y[i] - residual[i]) * (1.0 - y[i] + residual[i]);
        }
        for (size_t node = 0; node < nodes; ++node) {
          if (trees[k].nodes[node].feature >= 0) continue;
          const double num = k_count == 1 ? numerator[node] : numerator[node] * (k_count - 1) / k_count;
          trees[k].nodes[node].value = std::abs(denominator[node]) < 1e-150 ? 0.0 : num / denominator[node];
        }
        for (int64_t i = 0; i < n; ++i)
          raw[i * k_count + k] += options.learning_rate * trees[k].nodes[leaf_of[i]].value;
      }
    };
    // Parallel over the trees of a stage; a single tree parallelises over features inside instead.
    if (k_count == 1)
      grow(0, 1);
    else
      at::parallel_for(0, k_count, 1, grow);
    for (int32_t k = 0; k < k_count; ++k) {
      if (trees[k].nodes.size() > 1) {
        ++model.trees_with_splits_;
        for (int64_t f = 0; f < model.num_features_; ++f) tree_importance_sum[f] += importance[k][f];
      }
    }
    model.trees_.push_back(std::move(trees));
  }
  double total = 0.0;
  for (double v : tree_importance_sum) total += v;
  if (model.trees_with_splits_ > 0 && total > 0)  // the mean over trees, normalised: the mean's factor cancels
    for (int64_t f = 0; f < model.num_features_; ++f) model.importances_[f] = tree_importance_sum[f] / total;
  return model;
}

std::vector<double> GbtClassifier::decision_function(const at::Tensor& x_in) const {
  const auto x = as_rows(x_in);
  LATENTLAB_ASSERT(x.dim() == 2 && x.size(1) == num_features_, "GBT feature count");
  const int64_t m = x.size(0), k_count = static_cast<int64_t>(init_.size());
  std::vector<double> raw(m * k_count);
  const double* data = x.data_ptr<double>();
  at::parallel_for(0, m, 256, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const double* row = data + i * num_features_;
      auto get = [row](int32_t f) { return static_cast<float>(row[f]); };
      for (int64_t k = 0; k < k_count; ++k) {
        double f = init_[k];
        for (const auto& stage : trees_) f += learning_rate_ * stage[k].nodes[stage[k].leaf(get)].value;
        raw[i * k_count + k] = f;
      }
    }
  });
  return raw;
}

std::vector<int32_t> GbtClassifier::predict(const at::Tensor& x) const {
  const int64_t m = x.size(0);
  if (num_classes_ == 1) return std::vector<int32_t>(m, 0);
  const auto raw = decision_function(x);
  const int64_t k_count = static_cast<int64_t>(init_.size());
  std::vector<int32_t> out(m);
  for (int64_t i = 0; i < m; ++i) {
    if (k_count == 1) {  // np.argmax([1 - p, p]): class 1 only when strictly more probable
      const double p = expit(raw[i]);
      out[i] = p > 1.0 - p ? 1 : 0;
    } else {
      const double* f = raw.data() + i * k_count;
      out[i] = static_cast<int32_t>(std::max_element(f, f + k_count) - f);
    }
  }
  return out;
}

}  // namespace latentlab::metrics
