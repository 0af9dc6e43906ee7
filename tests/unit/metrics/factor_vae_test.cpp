// FactorVAE score through the represent() callback: dlib's identity case (10 x 10 factors, batch 5,
// 3000 train, 2000 eval, 2500 variance points) in [0.9, 1]; a 45° rotation of two factors 0.5; codes below
// the prune threshold; the majority-vote accuracies on a hand-made vote matrix; and dlib's dimension-indexing
// quirk (reproduced on request: votes land in the pruned index's column, num_active_dims is the mask length)
// which moves votes between columns but, the map being injective, leaves the accuracies unchanged.
#include "metrics/disentanglement/factor_vae.h"

#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

namespace latentlab::metrics {
namespace {

FactorVaeOptions small() {
  FactorVaeOptions o;
  o.batch_size = 5;
  o.num_train = 3000;
  o.num_eval = 2000;
  o.num_variance_estimate = 2500;
  return o;
}

TEST(FactorVae, IdentityRepresentationScoresNearOne) {
  const auto r = compute_factor_vae_score(
      std::vector<int64_t>(10, 10), [](const at::Tensor& f) { return f.to(at::kDouble); }, small());
  EXPECT_GE(r.eval_accuracy, 0.9);
  EXPECT_LE(r.eval_accuracy, 1.0);
  EXPECT_EQ(r.num_active_dims, 10);
}

TEST(FactorVae, FortyFiveDegreeRotationIsAtChance) {
  auto rotate = [](const at::Tensor& f) {
    const auto v = f.to(at::kDouble);
    return at::stack({v.select(1, 0) + v.select(1, 1), v.select(1, 0) - v.select(1, 1)}, 1);
  };
  auto o = small();
  o.batch_size = 16;
  EXPECT_NEAR(compute_factor_vae_score({10, 10}, rotate, o).eval_accuracy, 0.5, 0.05);
}

TEST(FactorVae, NothingActiveScoresZero) {
  const auto r = compute_factor_vae_score(
      {4, 4}, [](const at::Tensor& f) { return 0.01 * f.to(at::kDouble); }, small());  // std 0.011 < 0.05
  EXPECT_EQ(r.num_active_dims, 0);
  EXPECT_EQ(r.eval_accuracy, 0.0);
}

TEST(FactorVae, MajorityVoteAccuracies) {
  // Column 0 -> factor 1 (5 > 1), column 1 -> factor 0 (ties to the first: 3 = 3 -> factor 0).
  const auto [train, eval] = factor_vae_accuracies({{1, 3}, {5, 3}}, {{2, 4}, {6, 0}});
  EXPECT_NEAR(train, (5.0 + 3.0) / 12.0, 1e-15);
  EXPECT_NEAR(eval, (6.0 + 4.0) / 12.0, 1e-15);
}

TEST(FactorVae, DlibIndexQuirkMovesVotesNotScores) {
  // Code 0 is constant (pruned); codes 1 and 2 copy factors 0 and 1.
  auto represent = [](const at::Tensor& f) {
    return at::cat({at::zeros({f.size(0), 1}, at::kDouble), f.to(at::kDouble)}, 1);
  };
  auto o = small();
  o.num_train = 500;
  o.num_eval = 300;
  const auto fixed = compute_factor_vae_score({5, 5}, represent, o);
  o.dlib_index_quirk = true;
  const auto quirk = compute_factor_vae_score({5, 5}, represent, o);
  EXPECT_EQ(fixed.num_active_dims, 2);
  EXPECT_EQ(quirk.num_active_dims, 3);
  EXPECT_EQ(fixed.train_votes[0][0], 0);  // fixed: factor 0's votes go to code 1
  EXPECT_GT(fixed.train_votes[0][1], 0);
  EXPECT_EQ(quirk.train_votes[0][1], 0);  // dlib: to column 0, the pruned index
  EXPECT_GT(quirk.train_votes[0][0], 0);
  EXPECT_EQ(fixed.eval_accuracy, 1.0);
  EXPECT_EQ(quirk.eval_accuracy, fixed.eval_accuracy);
  EXPECT_EQ(quirk.to_json()["protocol"]["dimension_indexing"], "dlib (pruned index used as code index)");
}

}  // namespace
}  // namespace latentlab::metrics
