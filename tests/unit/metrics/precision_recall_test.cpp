// k-NN manifold metrics: constructed point sets computed by hand, identical sets (closed forms), blocked
// distances against an unblocked brute-force path, block-size independence, the METRICS.md §15 P/R
// convention oracle, errors. ADM/prdc cross-checks: tests/reference/metrics/precision_recall_reference_test.cpp.
#include "metrics/generative/precision_recall.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "core/error.h"
#include "metrics/generative/pairwise_distances.h"

namespace latentlab::metrics {
namespace {

at::Tensor column(std::vector<double> values) {
  return at::tensor(values, at::kDouble).view({-1, 1});
}

ManifoldOptions with_k(int64_t k, bool strict = false) {
  ManifoldOptions options;
  options.pr_k = options.dc_k = k;
  options.strict = strict;
  options.distance.dtype = at::kDouble;
  return options;
}

TEST(PrecisionRecall, OneDimensionalSetComputedByHand) {
  // Real {0, 1, 2, 3, 10}, k = 1: radii 1, 1, 1, 1, 7. Generated {0.5, 20, 2.5}: radii 2, 2, 17.5.
  // precision: 0.5 (by 0, 1) and 2.5 (by 2, 3) are inside, 20 is 10 from 10 > 7 -> 2/3.
  // recall: 0, 1 within 2 of 0.5; 2, 3 within 2 of 2.5; 10 within 17.5 of 20 -> 1.
  // density: 0.5 lies in the balls of 0 and 1, 2.5 in those of 2 and 3, 20 in none -> 4 / (1 * 3).
  // coverage: 0..3 have a generated point within 1; 10's nearest is 2.5 at 7.5 > 7 -> 4/5.
  const auto r = manifold_metrics(column({0, 1, 2, 3, 10}), column({0.5, 20, 2.5}), with_k(1));
  EXPECT_DOUBLE_EQ(r.precision, 2.0 / 3);
  EXPECT_DOUBLE_EQ(r.recall, 1.0);
  EXPECT_DOUBLE_EQ(r.density, 4.0 / 3);
  EXPECT_DOUBLE_EQ(r.coverage, 4.0 / 5);
}

TEST(PrecisionRecall, MembershipOnTheRadiusFollowsTheComparison) {
  // Real {0, 1, 2, 3}, k = 1: every radius is 1. Generated 4 lies exactly 1 from 3 (squared distances are
  // exact in float64): inside with <= (ADM), outside with < (prdc). 20 is outside either way.
  const auto real = column({0, 1, 2, 3}), fake = column({4, 20});
  EXPECT_DOUBLE_EQ(manifold_metrics(real, fake, with_k(1)).precision, 0.5);
  EXPECT_DOUBLE_EQ(manifold_metrics(real, fake, with_k(1, true)).precision, 0.0);
  EXPECT_DOUBLE_EQ(manifold_metrics(real, fake, with_k(1)).coverage, 0.25);
  EXPECT_DOUBLE_EQ(manifold_metrics(real, fake, with_k(1, true)).coverage, 0.0);
}

TEST(PrecisionRecall, IdenticalSetsHaveClosedForms) {
  // Integer features: every squared distance is exact in float64 and (for this draw) no two distances from
  // one point tie. Then each k-ball holds the point itself and exactly k others: with <=, density =
  // (k + 1) / k; with <, the k-th neighbour sits on the boundary and is left out, density = k / k = 1.
  // Precision, recall and coverage are 1 either way (every point is at distance 0 from its copy).
  at::manual_seed(7);
  const auto f = at::randint(0, 100000, {400, 6}, at::kDouble);
  for (int64_t k : {3, 5}) {
    const auto le = manifold_metrics(f, f, with_k(k));
    EXPECT_EQ(le.precision, 1.0);
    EXPECT_EQ(le.recall, 1.0);
    EXPECT_EQ(le.coverage, 1.0);
    EXPECT_DOUBLE_EQ(le.density, (k + 1.0) / k) << k;
    const auto lt = manifold_metrics(f, f, with_k(k, true));
    EXPECT_EQ(lt.precision, 1.0);
    EXPECT_EQ(lt.recall, 1.0);
    EXPECT_EQ(lt.coverage, 1.0);
    EXPECT_DOUBLE_EQ(lt.density, 1.0) << k;
  }
}

TEST(PrecisionRecall, RadiiMatchBruteForceForEveryBlockSize) {
  at::manual_seed(8);
  const auto f = at::randn({203, 17}, at::kDouble);
  // Slow path: the full matrix of squared distances, each row sorted; entry k = k-th nearest other point.
  const auto full = at::cdist(f, f).pow(2);
  const auto sorted = std::get<0>(full.sort(1));
  for (int64_t block : {1, 5, 64, 203, 1000}) {
    DistanceOptions options;
    options.block_size = block;
    options.dtype = at::kDouble;
    const auto radii = knn_radii(f, {1, 3, 5}, options);
    for (int64_t i = 0; i < 3; ++i) {
      const int64_t k = std::vector<int64_t>{1, 3, 5}[i];
      EXPECT_LT((radii.select(1, i) - sorted.select(1, k)).abs().max().item<double>(), 1e-12) << block << " " << k;
    }
  }
}

TEST(PrecisionRecall, ResultsDoNotDependOnTheBlockSize) {
  at::manual_seed(9);
  const auto real = at::randn({300, 12}), fake = at::randn({257, 12}) * 0.9 + 0.2;
  for (auto dtype : {at::kDouble, at::kFloat}) {
    ManifoldOptions reference;
    reference.distance.dtype = dtype;
    reference.distance.block_size = 100000;  // one block: no blocking at all
    const auto expected = manifold_metrics(real, fake, reference);
    for (int64_t block : {7, 64, 256}) {
      ManifoldOptions options = reference;
      options.distance.block_size = block;
      const auto r = manifold_metrics(real, fake, options);
      // float64: identical decisions. float32: the GEMM's summation order depends on the block shape, which
      // may move a distance within ~1e-6 relative of a radius across it: at most one point each way.
      const double slack = dtype == at::kDouble ? 0.0 : 1.0 / 257 + 1e-12;
      EXPECT_NEAR(r.precision, expected.precision, slack) << block;
      EXPECT_NEAR(r.recall, expected.recall, dtype == at::kDouble ? 0.0 : 1.0 / 300 + 1e-12) << block;
      EXPECT_NEAR(r.density, expected.density, dtype == at::kDouble ? 0.0 : 1.0 / (5 * 257) + 1e-12) << block;
      EXPECT_NEAR(r.coverage, expected.coverage, dtype == at::kDouble ? 0.0 : 1.0 / 300 + 1e-12) << block;
    }
  }
}

TEST(PrecisionRecall, DistanceBlocksAreBoundedByTheBlockSize) {
  // Memory is bounded by block_size^2 distances: with 10,000 (the default) a float32 block is 0.4 GB,
  // which keeps 50k x 50k within 4 GB.
  at::manual_seed(10);
  const auto a = at::randn({23, 4}), b = at::randn({31, 4});
  DistanceOptions options;
  options.block_size = 10;
  int64_t visited = 0;
  for_each_distance_block(a, b, options, [&](int64_t r, int64_t c, const at::Tensor& d) {
    EXPECT_LE(d.size(0), 10);
    EXPECT_LE(d.size(1), 10);
    EXPECT_TRUE(
        at::allclose(d, squared_distances(a.slice(0, r, r + d.size(0)), b.slice(0, c, c + d.size(1)), at::kFloat)));
    visited += d.numel();
  });
  EXPECT_EQ(visited, 23 * 31);
}

TEST(PrecisionRecall, NarrowGeneratedSetHasHighPrecisionAndLowRecall) {
  // METRICS.md §15: 200 generated ~ N(0, 0.1^2), 200 real ~ N(0, 3^2), 16-d: precision > 0.8, recall < 0.3.
  at::manual_seed(11);
  const auto real = at::randn({200, 16}) * 3, fake = at::randn({200, 16}) * 0.1;
  const auto r = manifold_metrics(real, fake);
  EXPECT_GT(r.precision, 0.8);
  EXPECT_LT(r.recall, 0.3);
}

TEST(PrecisionRecall, StreamingMetricMatchesThePureFunction) {
  at::manual_seed(12);
  const auto real = at::randn({120, 8}), fake = at::randn({90, 8});
  const auto expected = manifold_metrics(real, fake);
  ManifoldMetric a(real), b(real);
  a.update(fake.slice(0, 0, 1));
  a.update(fake.slice(0, 1, 40));
  b.update(fake.slice(0, 40, 90));
  a.merge(b);
  const auto result = a.finalize();
  EXPECT_EQ(result[kKeyPrecision].get<double>(), expected.precision);
  EXPECT_EQ(result[kKeyRecall].get<double>(), expected.recall);
  EXPECT_EQ(result[kKeyDensity].get<double>(), expected.density);
  EXPECT_EQ(result[kKeyCoverage].get<double>(), expected.coverage);
  EXPECT_EQ(result["options"]["membership"], "<=");
}

TEST(PrecisionRecall, BadInputsAreUserErrors) {
  EXPECT_THROW(manifold_metrics(at::randn({5, 3}), at::randn({10, 3})), UserError);  // 5 rows, k = 5
  EXPECT_THROW(manifold_metrics(at::randn({10, 3}), at::randn({10, 4})), UserError);
  EXPECT_THROW(manifold_metrics(at::randn({10}), at::randn({10, 4})), UserError);
  ManifoldOptions options;
  options.distance.block_size = 0;
  EXPECT_THROW(manifold_metrics(at::randn({10, 3}), at::randn({10, 3}), options), UserError);
  options.distance.block_size = 10;
  options.distance.dtype = at::kHalf;
  EXPECT_THROW(manifold_metrics(at::randn({10, 3}), at::randn({10, 3}), options), UserError);
}

}  // namespace
}  // namespace latentlab::metrics
