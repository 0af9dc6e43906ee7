#include "metrics/analysis/knn_alignment.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <ATen/ATen.h>

#include "core/error.h"

namespace latentlab::metrics {
namespace {

// One row's pairs (j, K_ij, L_ij) of the mask M, sorted by j.
struct Pair {
  int64_t j;
  double k, l;
};
using MaskRows = std::vector<std::vector<Pair>>;

// Rows of M = M_A∘M_B with the similarities of both sides.
MaskRows intersect(const Neighbours& a, const Neighbours& b) {
  const int64_t n = a.index.size(0), k = a.index.size(1);
  const auto* ai = a.index.data_ptr<int64_t>();
  const auto* bi = b.index.data_ptr<int64_t>();
  const auto* as = a.similarity.data_ptr<double>();
  const auto* bs = b.similarity.data_ptr<double>();
  MaskRows rows(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t p = 0; p < k; ++p)
      for (int64_t q = 0; q < k; ++q)
        if (ai[i * k + p] == bi[i * k + q]) rows[i].push_back({ai[i * k + p], as[i * k + p], bs[i * k + q]});
    std::sort(rows[i].begin(), rows[i].end(), [](const Pair& x, const Pair& y) { return x.j < y.j; });
  }
  return rows;
}

// HSIC_u(A, B) with A = M∘K, B = M∘L (zero diagonals), from the sparse rows of M.
double masked_hsic_unbiased(const MaskRows& rows) {
  const auto n = static_cast<int64_t>(rows.size());
  const double m = static_cast<double>(n);
  std::vector<double> col_a(static_cast<size_t>(n), 0.0), row_b(static_cast<size_t>(n), 0.0);
  double sum_a = 0.0, sum_b = 0.0, trace = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    for (const auto& p : rows[i]) {
      sum_a += p.k, sum_b += p.l;
      col_a[p.j] += p.k;
      row_b[i] += p.l;
      // Σ_ij A_ij B_ji: B_ji is non-zero only where i is in row j of M too.
      const auto& back = rows[p.j];
      const auto it = std::lower_bound(back.begin(), back.end(), i, [](const Pair& x, int64_t v) { return x.j < v; });
      if (it != back.end() && it->j == i) trace += p.k * it->l;
    }
  }
  double ab = 0.0;  // 1ᵀAB1 = Σ_t colsum(A)_t · rowsum(B)_t
  for (int64_t t = 0; t < n; ++t) ab += col_a[t] * row_b[t];
  return (trace + sum_a * sum_b / ((m - 1) * (m - 2)) - 2.0 * ab / (m - 2)) / (m * (m - 3));
}

}  // namespace

Neighbours inner_product_neighbours(const at::Tensor& x, int64_t k, int64_t chunk_rows) {
  LATENTLAB_ASSERT(x.dim() == 2, "neighbours need (N, D) features");
  const int64_t n = x.size(0);
  LATENTLAB_ASSERT(k >= 1 && k < n, "k = {} needs more than k rows (N = {})", k, n);
  const auto xd = x.to(at::kDouble);
  std::vector<at::Tensor> index, similarity;
  for (int64_t s = 0; s < n; s += chunk_rows) {
    const int64_t e = std::min(n, s + chunk_rows);
    auto gram = at::mm(xd.slice(0, s, e), xd.t());
    const auto rows = at::arange(s, e, gram.options().dtype(at::kLong));
    gram.index_put_({rows - s, rows}, -std::numeric_limits<double>::infinity());  // self is no neighbour
    const auto [values, indices] = gram.topk(k, 1, /*largest=*/true, /*sorted=*/true);
    similarity.push_back(values.to(at::kCPU));
    index.push_back(indices.to(at::kCPU));
  }
  return {at::cat(index).contiguous(), at::cat(similarity).contiguous()};
}

double mutual_knn(const Neighbours& a, const Neighbours& b) {
  LATENTLAB_ASSERT(a.index.sizes() == b.index.sizes(), "both sides need the same N and k");
  const int64_t n = a.index.size(0), k = a.index.size(1);
  const auto rows = intersect(a, b);
  double total = 0.0;
  for (const auto& row : rows) total += static_cast<double>(row.size()) / static_cast<double>(k);
  return total / static_cast<double>(n);
}

double cknna(const Neighbours& a, const Neighbours& b, double epsilon) {
  LATENTLAB_ASSERT(a.index.sizes() == b.index.sizes(), "both sides need the same N and k");
  LATENTLAB_ASSERT(a.index.size(0) >= 4, "CKNNA needs at least 4 rows");
  const double kl = masked_hsic_unbiased(intersect(a, b));
  const double kk = masked_hsic_unbiased(intersect(a, a));
  const double ll = masked_hsic_unbiased(intersect(b, b));
  return kl / (std::sqrt(kk * ll) + epsilon);
}

}  // namespace latentlab::metrics
