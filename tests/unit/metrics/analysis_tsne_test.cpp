// t-SNE (metrics/analysis/tsne.h, tsne_quadtree.h) on closed forms and brute-force sums: the perplexity
// search hits its target, P is a symmetric distribution, the exact gradient is the KL's derivative, the
// quadtree at angle 0 is the all-pairs sum, and separated clusters stay separated. The comparisons with
// scikit-learn on identical inputs are in tests/reference/metrics/tsne_reference_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "core/error.h"
#include "metrics/analysis/kde_uniformity.h"
#include "metrics/analysis/tsne.h"
#include "metrics/analysis/tsne_quadtree.h"

namespace latentlab::metrics {
namespace {

// `clusters` Gaussian blobs of `per` points in `dims` dimensions, centres 20 apart along the axes.
at::Tensor blobs(int64_t clusters, int64_t per, int64_t dims, uint64_t seed) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto x = at::randn({clusters * per, dims}, g, at::kDouble);
  for (int64_t c = 0; c < clusters; ++c) x.slice(0, c * per, (c + 1) * per).select(1, c % dims).add_(20.0 * (c + 1));
  return x;
}

// Every pair of a dense P as a sparse one (Barnes–Hut's attraction then runs over all pairs).
SparseAffinities all_pairs(const at::Tensor& p) {
  SparseAffinities s;
  s.n = p.size(0);
  s.row_start.push_back(0);
  for (int64_t i = 0; i < s.n; ++i) {
    for (int64_t j = 0; j < s.n; ++j)
      if (j != i) s.column.push_back(j), s.value.push_back(p[i][j].item<double>());
    s.row_start.push_back(static_cast<int64_t>(s.column.size()));
  }
  return s;
}

TEST(Tsne, PerplexitySearchHitsTheTarget) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(3);
  const auto distances = at::rand({20, 40}, g, at::kDouble) * 10.0;
  const auto p = conditional_probabilities(distances, 7.0, false);
  // Each row: a distribution exp(−β d)/Σ with entropy ln 7 (sklearn's tolerance 1e-5 on the entropy).
  EXPECT_TRUE(at::allclose(p.sum(1), at::ones({20}, at::kDouble), 0, 1e-12));
  const auto entropy = -(p * p.log()).sum(1);
  EXPECT_LT((entropy - std::log(7.0)).abs().max().item<double>(), 1e-5);
  const auto log_ratio =
      (p.log() - p.select(1, 0).log().view({-1, 1})) /
      (distances.to(at::kFloat).to(at::kDouble).select(1, 0).view({-1, 1}) - distances.to(at::kFloat).to(at::kDouble));
  EXPECT_LT((log_ratio.narrow(1, 1, 39) - log_ratio.narrow(1, 1, 1)).abs().max().item<double>(),
            1e-6);  // one β per row
  // The (n, n) form skips the diagonal.
  const auto square = conditional_probabilities(at::rand({10, 10}, g, at::kDouble), 3.0, true);
  EXPECT_EQ(square.diagonal().abs().max().item<double>(), 0.0);
}

TEST(Tsne, NeighbourAffinitiesAreASymmetricDistribution) {
  const auto x = blobs(3, 20, 5, 1);
  const auto p = joint_probabilities_nn(x, 5.0);  // k = 16 of 59
  auto dense = at::zeros({60, 60}, at::kDouble);
  for (int64_t i = 0; i < p.n; ++i)
    for (int64_t a = p.row_start[i]; a < p.row_start[i + 1]; ++a) {
      if (a > p.row_start[i]) {
        EXPECT_LT(p.column[a - 1], p.column[a]);
      }
      dense[i][p.column[a]] = p.value[a];
    }
  EXPECT_NEAR(dense.sum().item<double>(), 1.0, 1e-12);
  EXPECT_TRUE(at::allclose(dense, dense.t(), 0, 1e-18));
  EXPECT_EQ(dense.diagonal().abs().max().item<double>(), 0.0);
  // Neighbours: the brute-force k nearest, nearest first.
  const auto [index, d2] = tsne_neighbours(x, 16);
  const auto all = at::cdist(x, x, 2.0, /*compute_mode: no Gram expansion*/ 2).pow(2).fill_diagonal_(1e300);
  const auto expected = std::get<0>(all.sort(1)).narrow(1, 0, 16);
  EXPECT_TRUE(at::allclose(d2, expected, 1e-10, 1e-12));
}

TEST(Tsne, ExactGradientIsTheDerivativeOfTheKl) {
  const auto x = blobs(2, 15, 4, 2);
  const auto p = joint_probabilities_exact(x, 5.0);
  EXPECT_NEAR(p.sum().item<double>(), 1.0, 1e-12);
  auto g = at::make_generator<at::CPUGeneratorImpl>(5);
  const auto y = at::randn({30, 2}, g, at::kDouble) * 2.0;
  const auto r = tsne_objective_exact(p, y);
  // Central differences of KL(P ‖ Q(y)) = Σ p log p − Σ p log q.
  const double h = 1e-6;
  double worst = 0.0;
  for (int64_t i = 0; i < 30; i += 7)
    for (int64_t a = 0; a < 2; ++a) {
      auto up = y.clone(), down = y.clone();
      up[i][a] += h;
      down[i][a] -= h;
      const double numeric = (tsne_objective_exact(p, up).kl - tsne_objective_exact(p, down).kl) / (2 * h);
      worst = std::max(worst, std::abs(numeric - r.gradient[i][a].item<double>()));
    }
  EXPECT_LT(worst, 1e-7);
  EXPECT_GT(r.kl, 0.0);
}

TEST(Tsne, QuadtreeAtAngleZeroIsTheAllPairsSum) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(9);
  auto y = at::randn({200, 2}, g, at::kDouble) * 5.0;
  y[7].copy_(y[3]);  // a duplicate: skipped like the point itself
  const auto yc = y.contiguous();
  const TsneQuadTree tree(yc.data_ptr<double>(), 200);
  for (int64_t i : {0, 3, 7, 150}) {
    double force[2] = {0, 0};
    const double z = tree.repulsion(yc.data_ptr<double>() + 2 * i, 0.0, force);
    const auto diff = yc[i].view({1, 2}) - yc;
    auto w = 1.0 / (1.0 + diff.pow(2).sum(1));
    w[i] = 0;
    if (i == 3 || i == 7) w[i == 3 ? 7 : 3] = 0;
    EXPECT_NEAR(z, w.sum().item<double>(), 1e-10);
    const auto f = (w.pow(2).view({-1, 1}) * diff).sum(0);
    EXPECT_NEAR(force[0], f[0].item<double>(), 1e-10);
    EXPECT_NEAR(force[1], f[1].item<double>(), 1e-10);
    // At the default angle the approximation stays close.
    double approx_force[2] = {0, 0};
    EXPECT_NEAR(tree.repulsion(yc.data_ptr<double>() + 2 * i, 0.25, approx_force), z, 0.02 * z);
  }
}

TEST(Tsne, BarnesHutAtAngleZeroEqualsExact) {
  const auto x = blobs(3, 12, 4, 4);
  const auto p = joint_probabilities_exact(x, 5.0);
  auto g = at::make_generator<at::CPUGeneratorImpl>(6);
  const auto y = at::randn({36, 2}, g, at::kDouble) * 3.0;
  const auto exact = tsne_objective_exact(p, y);
  const auto tree = tsne_objective_barnes_hut(all_pairs(p), y, 0.0);
  EXPECT_TRUE(at::allclose(tree.gradient, exact.gradient, 1e-10, 1e-14));
  EXPECT_NEAR(tree.kl, exact.kl, 1e-10 * exact.kl);
  const auto approx = tsne_objective_barnes_hut(all_pairs(p), y, 0.5);
  EXPECT_LT((approx.gradient - exact.gradient).norm().item<double>(), 0.05 * exact.gradient.norm().item<double>());
}

TEST(Tsne, SeparatedClustersStaySeparated) {
  const auto x = blobs(4, 40, 6, 8);
  TsneOptions o;
  o.perplexity = 10;
  o.iterations = 400;
  for (auto method : {TsneMethod::barnes_hut, TsneMethod::exact}) {
    o.method = method;
    const auto r = tsne(x, o);
    ASSERT_EQ(r.embedding.sizes(), (at::IntArrayRef{160, 2}));
    EXPECT_EQ(r.learning_rate, 50.0);  // 'auto': max(160 / 48, 50)
    EXPECT_EQ(r.iterations, 399);
    // 5-NN purity in the embedding: every neighbour from the point's own blob.
    const auto d = at::cdist(r.embedding, r.embedding).fill_diagonal_(1e300);
    const auto nearest = std::get<1>(d.topk(5, 1, false));
    const auto labels = at::arange(160, at::kLong).div(40, "floor");
    const double purity = (labels.index_select(0, nearest.reshape(-1)).view({160, 5}) == labels.view({-1, 1}))
                              .to(at::kDouble)
                              .mean()
                              .item<double>();
    EXPECT_GE(purity, 0.99) << tsne_method_name(method);
    EXPECT_GT(r.kl, 0.0);
    EXPECT_LT(r.kl, 2.0);
  }
}

TEST(Tsne, StartsAndErrors) {
  const auto x = blobs(2, 30, 5, 3);
  TsneOptions o;
  const auto pca = tsne_start(x, o);
  EXPECT_NEAR(pca.select(1, 0).std(false).item<double>(), 1e-4, 1e-12);
  // Proportional to the principal component scores.
  const auto scores = pca_2d(x);
  EXPECT_TRUE(at::allclose(pca * (scores.select(1, 0).std(false) / 1e-4), scores, 1e-10, 1e-12));
  o.init = TsneInit::random;
  o.seed = 4;
  EXPECT_TRUE(at::equal(tsne_start(x, o), tsne_start(x, o)));
  EXPECT_NEAR(tsne_start(x, o).std().item<double>(), 1e-4, 2e-5);
  o.perplexity = 60;
  EXPECT_THROW(joint_probabilities_nn(x, o.perplexity), UserError);
  EXPECT_THROW(parse_tsne_method("fast", "--tsne-method"), UserError);
  EXPECT_EQ(parse_projection("pca", "--projection"), Projection::pca);
}

TEST(KdeUniformity, TsneProjectionIsLabelledComparable) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(11);
  const auto latents = at::randn({40, 3, 4, 4}, g);
  UniformityOptions o;
  o.pixels = 120;
  o.runs = 2;
  o.tsne.iterations = 300;
  const auto r = kde_uniformity(latents, {0, 0, 0}, {1, 1, 1}, o);
  EXPECT_EQ(r["projection"], "tsne");
  EXPECT_EQ(r["tsne"]["kl_runs"].size(), 2u);
  EXPECT_FALSE(r["comparable_with_va_vae"].get<bool>());  // 120 pixels, 300 iterations
  const double gini = r["gini_mean"].get<double>();
  EXPECT_GT(gini, 0.0);
  EXPECT_LT(gini, 1.0);
  o.pixels = 10000;
  o.tsne.iterations = 1000;
  EXPECT_TRUE(comparable_with_va_vae(o));
  o.projection = Projection::pca;
  EXPECT_FALSE(comparable_with_va_vae(o));
}

}  // namespace
}  // namespace latentlab::metrics
