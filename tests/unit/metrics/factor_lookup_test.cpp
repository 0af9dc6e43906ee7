// Factor lookup of stored examples (factor_lookup.h): a store holding the full factor product is answered
// exactly; a store of random rows answers each request group with rows sharing the values the group holds
// fixed (FactorVAE groups, β-VAE pairs). End to end, identity codes (code = factor id) looked up this way
// score 1 on FactorVAE and β-VAE in both modes, as rendered observations would (METRICS.md §15 identity case).
#include "metrics/disentanglement/factor_lookup.h"

#include <gtest/gtest.h>

#include <set>

#include <ATen/ATen.h>

#include "core/error.h"
#include "metrics/disentanglement/beta_vae.h"
#include "metrics/disentanglement/factor_vae.h"

namespace latentlab::metrics {
namespace {

// Every (a, b) of 2 x 3 values, stored twice; factor 0 takes the raw values 5 and 7.
at::Tensor product_factors() {
  std::vector<int64_t> f;
  for (int copy = 0; copy < 2; ++copy)
    for (int64_t a : {5, 7})
      for (int64_t b = 0; b < 3; ++b) f.insert(f.end(), {a, b});
  return at::tensor(f, at::kLong).view({12, 2});
}

at::Tensor random_factors(int64_t rows, const std::vector<int64_t>& sizes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> f;
  sample_factor_rows(sizes, rows, rng, f);
  return at::tensor(f, at::kLong).view({rows, static_cast<int64_t>(sizes.size())});
}

TEST(FactorLookup, FullProductIsAnsweredExactly) {
  const auto factors = product_factors();
  const FactorLookup lookup(factors, "test");
  EXPECT_TRUE(lookup.full_product());
  EXPECT_EQ(lookup.factor_sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(lookup.factor_values()[0], (std::vector<int64_t>{5, 7}));
  std::mt19937_64 rng(0);
  std::set<int64_t> seen;
  for (int trial = 0; trial < 50; ++trial) {
    const int64_t tuple[2] = {1, 2};  // value 7, value 2
    const int64_t row = lookup.exact_row(tuple, rng);
    EXPECT_EQ(factors[row][0].item<int64_t>(), 7);
    EXPECT_EQ(factors[row][1].item<int64_t>(), 2);
    seen.insert(row);
  }
  EXPECT_EQ(seen.size(), 2u);  // both stored copies are used
  EXPECT_FALSE(FactorLookup(factors.narrow(0, 0, 5), "test").full_product());
}

TEST(FactorLookup, RandomRowsShareTheHeldValues) {
  const std::vector<int64_t> sizes{3, 4, 5, 7, 11};  // 4620 combinations, 2000 rows
  const auto factors = random_factors(2000, sizes, 1);
  auto lookup = std::make_shared<const FactorLookup>(factors, "test");
  ASSERT_FALSE(lookup->full_product());
  const auto codes = factors.to(at::kDouble);  // code row n = factors of stored row n
  auto counters = std::make_shared<LookupCounters>();
  const int64_t b = 8;
  // FactorVAE layout: two groups of 8 rows, factor 1 fixed in the first, factor 2 in the second.
  auto request = random_factors(2 * b, sizes, 2);
  request.narrow(0, 0, b).select(1, 1).fill_(3);
  request.narrow(0, b, b).select(1, 2).fill_(0);
  const auto got = lookup_represent(lookup, codes, RequestLayout::FactorVaeGroups, b, 0, counters)(request);
  EXPECT_TRUE(got.narrow(0, 0, b).select(1, 1).eq(3).all().item<bool>());
  EXPECT_TRUE(got.narrow(0, b, b).select(1, 2).eq(0).all().item<bool>());
  EXPECT_FALSE(got.narrow(0, 0, b).select(1, 0).eq(got[0][0]).all().item<bool>());  // others vary
  // β-VAE layout: one point of 2 x 8 rows, pairs (i, 8 + i) share factor 0, values differ across pairs.
  auto pairs = random_factors(2 * b, sizes, 3);
  pairs.narrow(0, b, b).select(1, 0).copy_(pairs.narrow(0, 0, b).select(1, 0));
  const auto got_pairs = lookup_represent(lookup, codes, RequestLayout::BetaVaePairs, b, 0, counters)(pairs);
  EXPECT_TRUE(got_pairs.narrow(0, 0, b).select(1, 0).eq(pairs.narrow(0, 0, b).select(1, 0)).all().item<bool>());
  EXPECT_TRUE(got_pairs.narrow(0, b, b).select(1, 0).eq(pairs.narrow(0, 0, b).select(1, 0)).all().item<bool>());
  EXPECT_EQ(counters->requests, 4 * b);
  EXPECT_EQ(counters->relaxed, 0);
}

TEST(FactorLookup, IdentityCodesScoreOneThroughBothModes) {
  const std::vector<int64_t> sizes{3, 4, 5};
  std::vector<int64_t> grid;
  for (int64_t a = 0; a < 3; ++a)
    for (int64_t b = 0; b < 4; ++b)
      for (int64_t c = 0; c < 5; ++c) grid.insert(grid.end(), {a, b, c});
  for (const auto& factors : {at::tensor(grid, at::kLong).view({60, 3}), random_factors(1500, sizes, 4)}) {
    auto lookup = std::make_shared<const FactorLookup>(factors, "test");
    const auto codes = factors.to(at::kDouble);
    FactorVaeOptions fo;
    fo.batch_size = 16, fo.num_train = 300, fo.num_eval = 200, fo.num_variance_estimate = 500;
    const auto fv = compute_factor_vae_score(
        lookup->factor_sizes(),
        lookup_represent(lookup, codes, RequestLayout::FactorVaeGroups, fo.batch_size, 1, nullptr), fo);
    EXPECT_EQ(fv.eval_accuracy, 1.0) << "full product: " << lookup->full_product();
    BetaVaeOptions bo;
    bo.batch_size = 8, bo.num_train = 300, bo.num_eval = 200;
    const auto bv = compute_beta_vae_score(
        lookup->factor_sizes(), lookup_represent(lookup, codes, RequestLayout::BetaVaePairs, bo.batch_size, 1, nullptr),
        bo);
    EXPECT_GE(bv.eval_accuracy, 0.95) << "full product: " << lookup->full_product();
  }
}

TEST(FactorLookup, RejectsMissingFactors) {
  EXPECT_THROW(FactorLookup(at::zeros({5, 0}, at::kLong), "store.h5"), UserError);
  EXPECT_THROW(FactorLookup(at::zeros({1, 2}, at::kLong), "store.h5"), UserError);
}

}  // namespace
}  // namespace latentlab::metrics
