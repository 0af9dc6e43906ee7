// t-SNE's input affinities (tsne.h): nearest neighbours, the per-row perplexity search, symmetric P.
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "core/error.h"
#include "metrics/analysis/tsne.h"

namespace latentlab::metrics {
namespace {

constexpr int64_t kRowBlock = 1024;

int64_t neighbour_count(int64_t n, double perplexity) {
  return std::min<int64_t>(n - 1, static_cast<int64_t>(3.0 * perplexity + 1.0));
}

void check_perplexity(int64_t n, double perplexity) {
  if (!(perplexity > 0) || perplexity >= static_cast<double>(n))
    fail("t-SNE", "the perplexity ({}) must be positive and less than the number of points ({})", perplexity, n);
}

}  // namespace

std::pair<at::Tensor, at::Tensor> tsne_neighbours(const at::Tensor& x, int64_t k) {
  const auto xd = x.to(at::kCPU, at::kDouble).contiguous();
  const int64_t n = xd.size(0);
  LATENTLAB_ASSERT(k >= 1 && k < n, "need 1 <= k < n neighbours, got k = {} of n = {}", k, n);
  const auto norms = xd.pow(2).sum(1);
  auto indices = at::empty({n, k}, at::kLong), distances = at::empty({n, k}, at::kDouble);
  for (int64_t s = 0; s < n; s += kRowBlock) {
    const int64_t e = std::min(n, s + kRowBlock);
    // Candidates from the Gram expansion (fast); self excluded by an infinite distance.
    auto block = at::mm(xd.slice(0, s, e), xd.t()).mul_(-2.0);
    block.add_(norms.slice(0, s, e).view({-1, 1})).add_(norms.view({1, -1}));
    block.narrow(1, s, e - s).diagonal().fill_(std::numeric_limits<double>::infinity());
    const auto nearest = std::get<1>(block.topk(k, 1, /*largest=*/false, /*sorted=*/true));
    // Exact squared distances from differences: the expansion loses digits for close points.
    const auto diff = xd.index_select(0, nearest.reshape({-1})).view({e - s, k, -1}) - xd.slice(0, s, e).unsqueeze(1);
    indices.slice(0, s, e).copy_(nearest);
    distances.slice(0, s, e).copy_(diff.pow(2).sum(2));
  }
  return {indices, distances};
}

at::Tensor conditional_probabilities(const at::Tensor& squared_distances, double perplexity, bool skip_self) {
  // float32 distances, as sklearn hands them to _binary_search_perplexity; arithmetic in double as there.
  const auto d = squared_distances.to(at::kCPU, at::kFloat).to(at::kDouble).contiguous();
  const int64_t n = d.size(0), m = d.size(1);
  auto p = at::zeros({n, m}, at::kDouble);
  const double* dist = d.data_ptr<double>();
  double* prob = p.data_ptr<double>();
  const double target_entropy = std::log(perplexity);
  const double infinity = std::numeric_limits<double>::infinity();
  at::parallel_for(0, n, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const double* di = dist + i * m;
      double* pi = prob + i * m;
      double beta = 1.0, beta_min = -infinity, beta_max = infinity;
      for (int step = 0; step < 100; ++step) {
        double sum = 0.0;
        for (int64_t j = 0; j < m; ++j)
          if (!(skip_self && j == i)) sum += (pi[j] = std::exp(-di[j] * beta));
        if (sum == 0.0) sum = 1e-8;  // sklearn's EPSILON_DBL
        double weighted = 0.0;
        for (int64_t j = 0; j < m; ++j) {
          pi[j] /= sum;
          weighted += di[j] * pi[j];
        }
        const double entropy_diff = std::log(sum) + beta * weighted - target_entropy;
        if (std::abs(entropy_diff) <= 1e-5) break;
        if (entropy_diff > 0.0) {  // too flat: narrower kernel
          beta_min = beta;
          beta = beta_max == infinity ? beta * 2.0 : (beta + beta_max) / 2.0;
        } else {
          beta_max = beta;
          beta = beta_min == -infinity ? beta / 2.0 : (beta + beta_min) / 2.0;
        }
      }
    }
  });
  return p;
}

SparseAffinities joint_probabilities_nn(const at::Tensor& x, double perplexity) {
  const int64_t n = x.size(0);
  check_perplexity(n, perplexity);
  const int64_t k = neighbour_count(n, perplexity);
  const auto [index_tensor, distances] = tsne_neighbours(x, k);
  const auto conditional = conditional_probabilities(distances, perplexity, false);
  const int64_t* index = index_tensor.data_ptr<int64_t>();
  const double* cond = conditional.data_ptr<double>();
  // P + Pᵀ: every (i, j, p_j|i) lands in row i and row j; rows sorted by column, equal columns summed.
  std::vector<std::vector<std::pair<int64_t, double>>> rows(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t a = 0; a < k; ++a) {
      rows[i].emplace_back(index[i * k + a], cond[i * k + a]);
      rows[index[i * k + a]].emplace_back(i, cond[i * k + a]);
    }
  SparseAffinities p;
  p.n = n;
  p.row_start.push_back(0);
  double total = 0.0;
  for (auto& row : rows) {
    std::sort(row.begin(), row.end());
    for (size_t a = 0; a < row.size(); ++a) {
      if (a > 0 && row[a].first == row[a - 1].first) {
        p.value.back() += row[a].second;
      } else {
        p.column.push_back(row[a].first);
        p.value.push_back(row[a].second);
      }
      total += row[a].second;
    }
    p.row_start.push_back(static_cast<int64_t>(p.column.size()));
  }
  total = std::max(total, kMachineEpsilon);
  for (auto& v : p.value) v /= total;
  return p;
}

at::Tensor joint_probabilities_exact(const at::Tensor& x, double perplexity) {
  const auto xd = x.to(at::kCPU, at::kDouble).contiguous();
  const int64_t n = xd.size(0);
  check_perplexity(n, perplexity);
  // sklearn's euclidean_distances(squared=True): the Gram expansion, clipped at 0, zero diagonal.
  const auto norms = xd.pow(2).sum(1);
  auto distances = at::mm(xd, xd.t()).mul_(-2.0).add_(norms.view({-1, 1})).add_(norms.view({1, -1})).clamp_min_(0);
  distances.fill_diagonal_(0);
  const auto conditional = conditional_probabilities(distances, perplexity, true);
  auto p = conditional + conditional.t();
  p = (p / std::max(p.sum().item<double>(), kMachineEpsilon)).clamp_min_(kMachineEpsilon);
  return p.fill_diagonal_(0);
}

}  // namespace latentlab::metrics
