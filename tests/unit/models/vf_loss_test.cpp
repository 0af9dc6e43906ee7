// VA-VAE VF loss (lib/models/vf_loss.cpp) in closed forms: aligned features cost nothing, orthogonal ones pay
// the cosine margin, and a collapsed latent against mutually orthogonal teacher tokens pays 1 − m₂ on every
// off-diagonal pair. The Python cross-check is in tests/reference/models/sendvae_vf_reference_test.cpp.
#include "models/vf_loss.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "support/expect_user_error.h"

namespace latentlab::models {
namespace {

using testing::problem_of;

// B×N×D tokens -> B×D×h×w maps in the row-major token order the loss uses.
at::Tensor as_map(const at::Tensor& tokens, int64_t h, int64_t w) {
  return tokens.transpose(1, 2).reshape({tokens.size(0), tokens.size(2), h, w});
}

TEST(VFLossTest, AlignedFeaturesCostNothing) {
  const at::Tensor teacher = at::randn({2, 6, 8}, at::kDouble);
  const VFLossTerms terms = vf_loss(as_map(teacher * 2.5, 2, 3), teacher);
  EXPECT_NEAR(terms.cosine.item<double>(), 0.0, 1e-12);  // relu(1 − 0.5 − 1) = 0
  EXPECT_NEAR(terms.distmat.item<double>(), 0.0, 1e-12);
}

TEST(VFLossTest, OrthogonalAndCollapsedClosedForms) {
  // Teacher tokens e_0 … e_3 (mutually orthogonal); latent tokens all e_4: cos 0 everywhere, so
  // L_mcos = 1 − 0.5 = 0.5; S_z is all ones, S_f = I, so |S_z − S_f| is 1 off the diagonal and 0 on it:
  // L_mdms = (1 − 0.25)·(N² − N)/N² with N = 4.
  const at::Tensor teacher = at::eye(5, at::kDouble).slice(0, 0, 4).unsqueeze(0);  // 1×4×5
  const at::Tensor latent = at::eye(5, at::kDouble)[4].expand({1, 4, 5});
  VFLossOptions options;
  const VFLossTerms terms = vf_loss(as_map(latent, 2, 2), teacher, options);
  EXPECT_NEAR(terms.cosine.item<double>(), 0.5, 1e-12);
  EXPECT_NEAR(terms.distmat.item<double>(), 0.75 * 12.0 / 16.0, 1e-12);
  options.cos_weight = 2.0;
  options.distmat_weight = 0.5;
  EXPECT_NEAR(vf_loss(as_map(latent, 2, 2), teacher, options).total.item<double>(), 2.0 * 0.5 + 0.5 * 0.5625, 1e-12);
  // Margins 0 turn both terms into the unmargined VA-VAE early-training loss.
  EXPECT_NEAR(vf_cosine_loss(as_map(latent, 2, 2), as_map(teacher, 2, 2), 0.0).item<double>(), 1.0, 1e-12);
  EXPECT_NEAR(vf_distance_matrix_loss(as_map(latent, 2, 2), as_map(teacher, 2, 2), 0.0).item<double>(), 0.75, 1e-12);
}

TEST(VFLossTest, ProjectionIsA1x1ConvWithoutBias) {
  VFProjection p(4, 10);
  const auto params = p->named_parameters();
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].key(), "linear_proj.weight");
  EXPECT_EQ(params[0].value().sizes(), (at::IntArrayRef{10, 4, 1, 1}));
  EXPECT_EQ(p->forward(at::randn({2, 4, 3, 5})).sizes(), (at::IntArrayRef{2, 10, 3, 5}));
}

TEST(VFLossTest, BadShapesAndOptions) {
  EXPECT_CONTAINS(problem_of(
                      [] {
                        vf_loss(at::randn({2, 8, 2, 3}), at::randn({2, 6, 7}));
                      },
                      "vf-loss"),
                  "B×N×D = 2×N×8");
  VFLossOptions options;
  options.distmat_margin = -0.1;
  EXPECT_CONTAINS(problem_of([&] { options.validate(); }, "--vf-distmat-margin"), "must be ≥ 0");
}

}  // namespace
}  // namespace latentlab::models
