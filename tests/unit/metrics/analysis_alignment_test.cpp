// Linear CKA, CKNNA and mutual k-NN (metrics/analysis/linear_cka.h, knn_alignment.h) on closed forms:
// CKA(X, X) = 1 and invariance to orthogonal transforms and isotropic scaling (METRICS.md §15 "CKA / mutual
// kNN"), the feature-space sums against the Gram-matrix definitions written out densely here, and the sparse
// CKNNA against a dense port of platonic-rep's masks. The numpy/platonic-rep cross-check is
// tests/reference/metrics/analysis_reference_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "metrics/analysis/knn_alignment.h"
#include "metrics/analysis/linear_cka.h"

namespace latentlab::metrics {
namespace {

at::Tensor cka_random_matrix(int64_t rows, int64_t cols, uint64_t seed) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::randn({rows, cols}, g, at::TensorOptions().dtype(at::kDouble));
}

at::Tensor cka_orthogonal(int64_t d, uint64_t seed) {
  return std::get<0>(at::linalg_qr(cka_random_matrix(d, d, seed)));
}

// The definitions with explicit n × n Gram matrices (METRICS.md §13).
double dense_hsic(const at::Tensor& k, const at::Tensor& l, bool unbiased) {
  const int64_t n = k.size(0);
  const double m = static_cast<double>(n);
  if (!unbiased) {
    const auto h = at::eye(n, k.options()) - 1.0 / m;
    return at::trace(at::mm(at::mm(k, h), at::mm(l, h))).item<double>() / ((m - 1) * (m - 1));
  }
  const auto kt = k - at::diag(at::diag(k)), lt = l - at::diag(at::diag(l));
  return ((kt * lt.t()).sum().item<double>() + kt.sum().item<double>() * lt.sum().item<double>() / ((m - 1) * (m - 2)) -
          2.0 * at::mm(kt, lt).sum().item<double>() / (m - 2)) /
         (m * (m - 3));
}

double dense_cka(const at::Tensor& x, const at::Tensor& y, bool unbiased) {
  const auto k = at::mm(x, x.t()), l = at::mm(y, y.t());
  return dense_hsic(k, l, unbiased) / std::sqrt(dense_hsic(k, k, unbiased) * dense_hsic(l, l, unbiased));
}

// platonic-rep cknna(unbiased=True) with dense masks, without the epsilon.
double dense_cknna(const at::Tensor& x, const at::Tensor& y, int64_t k) {
  const int64_t n = x.size(0);
  const auto kx = at::mm(x, x.t()), ly = at::mm(y, y.t());
  auto mask = [&](const at::Tensor& gram) {
    const auto hat = gram.clone().fill_diagonal_(-std::numeric_limits<double>::infinity());
    return at::zeros({n, n}, gram.options()).scatter_(1, std::get<1>(hat.topk(k, 1)), 1.0);
  };
  auto similarity = [&](const at::Tensor& a, const at::Tensor& b) {
    const auto m = mask(a) * mask(b);
    return dense_hsic(m * a, m * b, true);
  };
  return similarity(kx, ly) / std::sqrt(similarity(kx, kx) * similarity(ly, ly));
}

TEST(LinearCka, SelfIsOneAndInvariantToOrthogonalAndScale) {
  const auto x = cka_random_matrix(50, 7, 1), y = cka_random_matrix(50, 5, 2) + x.slice(1, 0, 5);
  const auto self = linear_cka(x, x);
  EXPECT_NEAR(self.plain, 1.0, 1e-12);
  EXPECT_NEAR(self.debiased, 1.0, 1e-12);
  const auto rotated = linear_cka(x, at::mm(x, cka_orthogonal(7, 3)) * 3.5);
  EXPECT_NEAR(rotated.plain, 1.0, 1e-12);
  EXPECT_NEAR(rotated.debiased, 1.0, 1e-12);
  const auto base = linear_cka(x, y), moved = linear_cka(at::mm(x, cka_orthogonal(7, 4)) * 0.25, y * 9.0);
  EXPECT_NEAR(moved.plain, base.plain, 1e-12);
  EXPECT_NEAR(moved.debiased, base.debiased, 1e-12);
  EXPECT_GT(base.plain, 0.2);
  EXPECT_LT(base.plain, 0.99);
}

// Both code paths (feature space for small D1·D2, Gram row blocks for large) against the dense definitions;
// float64 sums of ~1e3 terms: 1e-10 relative.
TEST(LinearCka, MatchesGramDefinitionsOnBothPaths) {
  const auto x = cka_random_matrix(9, 6, 5), y = cka_random_matrix(9, 4, 6) + x.slice(1, 0, 4).pow(2);
  const auto small = linear_cka(x, y, 4);
  EXPECT_NEAR(small.plain, dense_cka(x, y, false), 1e-10);
  EXPECT_NEAR(small.debiased, dense_cka(x, y, true), 1e-10);
  const auto wide_x = cka_random_matrix(8, 4200, 7), wide_y = cka_random_matrix(8, 4100, 8) + wide_x.slice(1, 0, 4100);
  const auto wide = linear_cka(wide_x, wide_y, 3);  // 4200·4100 > 2^24: the Gram path
  EXPECT_NEAR(wide.plain, dense_cka(wide_x, wide_y, false), 1e-10);
  EXPECT_NEAR(wide.debiased, dense_cka(wide_x, wide_y, true), 1e-10);
}

TEST(KnnAlignment, IdenticalAndRotatedSetsAlignFully) {
  const auto x = cka_random_matrix(40, 6, 9);
  const auto a = inner_product_neighbours(x, 5, 7);
  EXPECT_DOUBLE_EQ(mutual_knn(a, a), 1.0);
  EXPECT_NEAR(cknna(a, a, 0.0), 1.0, 1e-12);
  // Orthogonal maps and positive scaling keep every inner-product order.
  const auto b = inner_product_neighbours(at::mm(x, cka_orthogonal(6, 10)) * 2.0, 5);
  EXPECT_DOUBLE_EQ(mutual_knn(a, b), 1.0);
  EXPECT_NEAR(cknna(a, b, 0.0), 1.0, 1e-12);
}

TEST(KnnAlignment, SparseCknnaMatchesDenseMasks) {
  const auto x = cka_random_matrix(30, 5, 11), y = cka_random_matrix(30, 4, 12) + 0.7 * x.slice(1, 0, 4);
  const auto a = inner_product_neighbours(x, 4, 8), b = inner_product_neighbours(y, 4, 30);
  EXPECT_NEAR(cknna(a, b, 0.0), dense_cknna(x, y, 4), 1e-10);
  // The neighbour sets themselves: self excluded, most similar first, chunking irrelevant.
  const auto gram = at::mm(x, x.t()).fill_diagonal_(-1e300);
  EXPECT_TRUE(at::equal(a.index, std::get<1>(gram.topk(4, 1))));
  EXPECT_TRUE(at::equal(a.index, inner_product_neighbours(x, 4, 1000).index));
}

TEST(KnnAlignment, MutualKnnCountsSharedNeighbours) {
  // Rows 0..3 of A: neighbours {1}, {0}, {3}, {2}; of B: {1}, {2}, {3}, {0} → shared for rows 0 and 2 → 1/2.
  Neighbours a{at::tensor({1, 0, 3, 2}, at::kLong).view({4, 1}), at::ones({4, 1}, at::kDouble)};
  Neighbours b{at::tensor({1, 2, 3, 0}, at::kLong).view({4, 1}), at::ones({4, 1}, at::kDouble)};
  EXPECT_DOUBLE_EQ(mutual_knn(a, b), 0.5);
}

}  // namespace
}  // namespace latentlab::metrics
