// Latent reduction (latent_reduction.h): pooling is the per-channel spatial mean; PCA of latents that lie
// in a 2-D subspace keeps all variance with 2 components and preserves pairwise distances (an isometry of
// the centred data, up to float64 rounding); the spec parser names --reduce and the accepted forms.
#include "metrics/disentanglement/latent_reduction.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "core/error.h"

namespace latentlab::metrics {
namespace {

TEST(LatentReduction, PoolIsTheChannelMean) {
  const auto x = at::randn({5, 3, 2, 4}, at::kFloat);
  const auto r = reduce_latents(x, parse_latent_reduction("pool", "--reduce"));
  EXPECT_TRUE(at::allclose(r.codes, x.to(at::kDouble).mean({2, 3})));
  EXPECT_EQ(r.protocol["reduction"], "pool");
}

TEST(LatentReduction, PcaOfATwoDimensionalSubspaceIsAnIsometry) {
  at::manual_seed(0);
  const auto basis = at::randn({2, 3 * 2 * 2}, at::kDouble);
  const auto x = at::mm(at::randn({40, 2}, at::kDouble), basis).view({40, 3, 2, 2}) + 5.0;
  const auto r = reduce_latents(x, parse_latent_reduction("pca:2", "--reduce"));
  ASSERT_EQ(r.codes.sizes(), (at::IntArrayRef{40, 2}));
  EXPECT_NEAR(r.explained_variance, 1.0, 1e-10);
  const auto flat = x.view({40, -1});
  // Direct differences: cdist's matrix-product route loses ~1e-7 to cancellation on offset data.
  const auto distances = [](const at::Tensor& a) { return (a.unsqueeze(1) - a.unsqueeze(0)).norm(2, {2}); };
  EXPECT_TRUE(at::allclose(distances(r.codes), distances(flat), 1e-9, 1e-9));
  EXPECT_NEAR(r.codes.mean(0).abs().max().item<double>(), 0.0, 1e-9);  // centred
}

TEST(LatentReduction, BadSpecsNameTheOption) {
  for (const char* bad : {"pca", "pca:", "pca:0", "pca:3x", "mean"}) {
    try {
      parse_latent_reduction(bad, "--reduce");
      ADD_FAILURE() << bad;
    } catch (const UserError& e) {
      EXPECT_EQ(e.subject(), "--reduce");
      EXPECT_NE(e.problem().find("pca:N"), std::string::npos);
    }
  }
  EXPECT_THROW(reduce_latents(at::zeros({4, 1, 2, 2}), parse_latent_reduction("pca:5", "--reduce")), UserError);
}

}  // namespace
}  // namespace latentlab::metrics
