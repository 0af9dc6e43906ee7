// β-VAE score through the represent() callback on synthetic "datasets" (the observation is the factor
// vector): dlib's identity case (10 factors x 10 values, batch 5, 2000/2000) in [0.9, 1]; a 45° rotation of
// two factors 0.5 (METRICS.md §15 rotation table); the callback sees the requested batching and errors in
// what it returns are user errors.
#include "metrics/disentanglement/beta_vae.h"

#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

#include "core/error.h"

namespace latentlab::metrics {
namespace {

TEST(BetaVae, IdentityRepresentationScoresNearOne) {
  BetaVaeOptions o;
  o.batch_size = 5;
  o.num_train = 2000;
  o.num_eval = 2000;
  const auto r = compute_beta_vae_score(
      std::vector<int64_t>(10, 10), [](const at::Tensor& f) { return f.to(at::kDouble); }, o);
  EXPECT_GE(r.eval_accuracy, 0.9);
  EXPECT_LE(r.eval_accuracy, 1.0);
  EXPECT_GE(r.train_accuracy, 0.9);
  EXPECT_EQ(r.num_codes, 10);
}

TEST(BetaVae, FortyFiveDegreeRotationIsAtChance) {
  BetaVaeOptions o;
  o.batch_size = 16;
  o.num_train = 2000;
  o.num_eval = 2000;
  auto rotate = [](const at::Tensor& f) {
    const auto v = f.to(at::kDouble);
    return at::stack({v.select(1, 0) + v.select(1, 1), v.select(1, 0) - v.select(1, 1)}, 1) / std::sqrt(2.0);
  };
  const auto r = compute_beta_vae_score({10, 10}, rotate, o);
  EXPECT_NEAR(r.eval_accuracy, 0.5, 0.05);
  const auto id = compute_beta_vae_score(
      {10, 10}, [](const at::Tensor& f) { return f.to(at::kFloat); }, o);
  EXPECT_GE(id.eval_accuracy, 0.99);
}

TEST(BetaVae, SameSeedSameScoreAndBatchedCalls) {
  BetaVaeOptions o;
  o.batch_size = 4;
  o.num_train = 50;
  o.num_eval = 30;
  o.points_per_call = 8;
  int calls = 0;
  auto noisy = [&](const at::Tensor& f) {
    ++calls;
    EXPECT_LE(f.size(0), 8 * 2 * 4);
    EXPECT_EQ(f.size(0) % 8, 0);  // whole pairs of batches
    return f.to(at::kDouble) + 0.1 * at::sin(f.to(at::kDouble).sum(1, true) * 7.0);
  };
  const auto a = compute_beta_vae_score({3, 4, 5}, noisy, o);
  const int first_calls = calls;
  const auto b = compute_beta_vae_score({3, 4, 5}, noisy, o);
  EXPECT_EQ(a.eval_accuracy, b.eval_accuracy);
  EXPECT_EQ(first_calls, 7 + 4);  // ceil(50/8) + ceil(30/8)
  EXPECT_EQ(a.to_json()["protocol"]["batch_size"], 4);
}

TEST(BetaVae, BadRepresentationsAreUserErrors) {
  BetaVaeOptions o;
  o.num_train = 10;
  o.num_eval = 10;
  EXPECT_THROW(compute_beta_vae_score(
                   {3, 3},
                   [](const at::Tensor& f) {
                     return at::zeros({1, 2});
                   },
                   o),
               UserError);
  EXPECT_THROW(compute_beta_vae_score(
                   {3, 3}, [](const at::Tensor& f) { return f.to(at::kDouble) * NAN; }, o),
               UserError);
  EXPECT_THROW(compute_beta_vae_score(
                   {3, 0}, [](const at::Tensor& f) { return f.to(at::kDouble); }, o),
               UserError);
}

}  // namespace
}  // namespace latentlab::metrics
