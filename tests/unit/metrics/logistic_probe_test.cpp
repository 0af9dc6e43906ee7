// Logistic regression and linear probes: optimality of the fitted models (the gradient of sklearn's
// objective vanishes, perturbations only raise it), joint heads equal heads fitted one by one, KFold sizes
// as sklearn's, cross-validation at chance for noise labels and choosing a weak penalty for a clean signal,
// classification scores on hand-computed cases (sklearn's documented AUC/AP example), and the check that a
// rotation of the codes leaves the probe's accuracy unchanged while MIG falls. Comparisons with sklearn itself live in
// tests/reference/metrics/probe_reference_test.cpp.
#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

#include "core/error.h"
#include "metrics/disentanglement/mig.h"
#include "metrics/probes/classification_scores.h"
#include "metrics/probes/linear_probe.h"
#include "metrics/probes/logistic_regression.h"

namespace latentlab::metrics {
namespace {

double multinomial_objective(const at::Tensor& x, const at::Tensor& y, const at::Tensor& w, const at::Tensor& b,
                             double c) {
  const auto logp = at::log_softmax(at::addmm(b, x, w), 1);
  return (-logp.gather(1, y.unsqueeze(1)).sum().item<double>() + w.pow(2).sum().item<double>() / (2 * c)) / x.size(0);
}

TEST(LogisticProbe, MultinomialFitIsTheOptimum) {
  at::manual_seed(0);
  const auto x = at::randn({300, 6}, at::kDouble);
  const auto y =
      (x.select(1, 0) * 2 + x.select(1, 1) + 0.5 * at::randn({300}, at::kDouble)).round().clamp(-1, 1).to(at::kLong) +
      1;
  LogisticOptions o;
  o.gradient_tolerance = 1e-10;
  const auto m = fit_multinomial_logistic(x, y, 3, 2.0, o);
  EXPECT_TRUE(m.converged);
  const double best = multinomial_objective(x, y, m.weight, m.bias, 2.0);
  EXPECT_NEAR(best, m.objective, 1e-12);
  for (int t = 0; t < 20; ++t) {
    const auto dw = 1e-4 * at::randn_like(m.weight), db = 1e-4 * at::randn_like(m.bias);
    EXPECT_GE(multinomial_objective(x, y, m.weight + dw, m.bias + db, 2.0), best - 1e-15);
  }
  // Finite-difference gradient of the objective at the optimum is ~0.
  for (int64_t i = 0; i < 6; ++i) {
    auto wp = m.weight.clone(), wm = m.weight.clone();
    wp[i][1] += 1e-5;
    wm[i][1] -= 1e-5;
    EXPECT_NEAR((multinomial_objective(x, y, wp, m.bias, 2.0) - multinomial_objective(x, y, wm, m.bias, 2.0)) / 2e-5,
                0.0, 1e-8);
  }
}

TEST(LogisticProbe, JointHeadsEqualSeparateHeads) {
  at::manual_seed(1);
  const auto x = at::randn({200, 5}, at::kDouble);
  const auto t = (at::mm(x, at::randn({5, 3}, at::kDouble)) + at::randn({200, 3}, at::kDouble) > 0).to(at::kDouble);
  LogisticOptions o;
  o.gradient_tolerance = 1e-10;
  const std::vector<double> c{0.1, 1.0, 10.0};
  const auto joint = fit_binary_logistic_heads(x, t, c, o);
  for (int64_t h = 0; h < 3; ++h) {
    const auto one = fit_binary_logistic_heads(x, t.narrow(1, h, 1).contiguous(), {c[h]}, o);
    EXPECT_LT((one.weight.squeeze(1) - joint.weight.select(1, h)).abs().max().item<double>(), 1e-7) << h;
  }
}

// The fast paths of wide designs (a rank-16 Nystrom preconditioner, a float32 first phase) change the path,
// never the optimum: the same heads and classes as the exact preconditioner in float64 alone.
TEST(LogisticProbe, LowRankPreconditionerAndFloat32PhaseReachTheSameOptimum) {
  at::manual_seed(3);
  const auto x = at::mm(at::randn({400, 8}, at::kDouble), at::randn({8, 80}, at::kDouble)) +
                 0.5 * at::randn({400, 80}, at::kDouble);
  const auto t =
      (at::mm(x, at::randn({80, 3}, at::kDouble)) / 8 + at::randn({400, 3}, at::kDouble) > 0.3).to(at::kDouble);
  LogisticOptions exact;
  exact.gradient_tolerance = 1e-10;
  exact.float32_phase_min_size = 0;
  LogisticOptions fast = exact;
  fast.precondition_max_dim = 0;
  fast.low_rank_preconditioner = 16;
  fast.float32_phase_min_size = 1;
  const std::vector<double> c{0.05, 1.0, 5.0};
  const auto reference = fit_binary_logistic_heads(x, t, c, exact);
  const auto heads = fit_binary_logistic_heads(x, t, c, fast);
  EXPECT_TRUE(heads.converged);
  EXPECT_GT(heads.float32_evaluations, 0);
  EXPECT_LT((heads.weight - reference.weight).abs().max().item<double>(), 1e-6);
  EXPECT_LT((heads.bias - reference.bias).abs().max().item<double>(), 1e-6);
  EXPECT_NEAR(heads.objective, reference.objective, 1e-12);

  const auto labels = t.select(1, 0).to(at::kLong) + t.select(1, 1).to(at::kLong);
  const auto multinomial_reference = fit_multinomial_logistic(x, labels, 3, 0.5, exact);
  const auto multinomial = fit_multinomial_logistic(x, labels, 3, 0.5, fast);
  EXPECT_TRUE(multinomial.converged);
  EXPECT_LT((multinomial.weight - multinomial_reference.weight).abs().max().item<double>(), 1e-6);
  EXPECT_NEAR(multinomial.objective, multinomial_reference.objective, 1e-12);
}

TEST(LogisticProbe, KFoldSizesLikeSklearn) {
  const auto fold = kfold_assignment(10, 3, 0);
  std::vector<int> sizes(3, 0);
  for (int f : fold) ++sizes[f];
  EXPECT_EQ(sizes, (std::vector<int>{4, 3, 3}));
  EXPECT_EQ(kfold_assignment(10, 3, 0), fold);  // seeded
}

TEST(LogisticProbe, CrossValidationFindsSignalAndNotNoise) {
  at::manual_seed(2);
  const auto x = at::randn({300, 10}, at::kDouble), xt = at::randn({100, 10}, at::kDouble);
  const auto y = at::randint(2, {300}, at::kLong), yt = at::randint(2, {100}, at::kLong);
  ProbeOptions o;
  o.c_grid = {1e-4, 1e-2, 1.0, 1e2};
  const auto r = fit_class_probe(x, y, xt, yt, o);
  ASSERT_EQ(r.cv_accuracy.size(), 4u);
  for (double a : r.cv_accuracy) EXPECT_LT(a, 0.6);  // nothing to learn: chance at every C
  // Informative features: large C wins and the test accuracy is high.
  const auto yi = (x.select(1, 0) > 0).to(at::kLong), yti = (xt.select(1, 0) > 0).to(at::kLong);
  const auto good = fit_class_probe(x, yi, xt, yti, o);
  EXPECT_GE(good.c, 1.0);
  EXPECT_GE(good.test.accuracy, 0.95);
  EXPECT_EQ(good.to_json()["protocol"]["folds"], 5);
}

TEST(LogisticProbe, ScoresOnHandCases) {
  // sklearn documentation: roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) = 0.75, average_precision 0.8333.
  EXPECT_NEAR(roc_auc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 0.75, 1e-15);
  EXPECT_NEAR(average_precision({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 0.5 * 1.0 + 0.5 * (2.0 / 3.0), 1e-15);
  const auto c = binary_counts({0.9, 0.6, 0.4, 0.2, 0.7}, {1, 0, 1, 0, 1}, 0.5);
  EXPECT_EQ(c.tp, 2);
  EXPECT_EQ(c.fp, 1);
  EXPECT_EQ(c.fn, 1);
  EXPECT_NEAR(c.f1(), 4.0 / 6.0, 1e-15);
  EXPECT_NEAR(c.balanced_accuracy(), (2.0 / 3.0 + 0.5) / 2, 1e-15);
  EXPECT_EQ(best_f1_threshold({0.9, 0.6, 0.4, 0.2, 0.7}, {1, 0, 1, 0, 1}), 0.4);  // F1 = 6/7
  // 3 classes: rows predict 0, 1, 1, 2; truth 0, 1, 2, 2.
  const auto scores =
      at::tensor({0.8, 0.1, 0.1, 0.2, 0.5, 0.3, 0.3, 0.4, 0.3, 0.1, 0.2, 0.7}, at::kDouble).view({4, 3});
  const auto m = multiclass_scores(scores, {0, 1, 2, 2}, {1, 2});
  EXPECT_NEAR(m.accuracy, 0.75, 1e-15);
  EXPECT_NEAR(m.top_k_accuracy[1], 1.0, 1e-15);
  EXPECT_NEAR(m.macro_f1, (1.0 + 2.0 / 3.0 + 2.0 / 3.0) / 3, 1e-15);
  EXPECT_NEAR(m.balanced_accuracy, (1.0 + 1.0 + 0.5) / 3, 1e-15);
}

TEST(LogisticProbe, RotationKeepsProbeAccuracyButLowersMig) {
  at::manual_seed(3);
  const auto f = at::randint(5, {3000, 3}, at::kLong);
  const auto codes = f.to(at::kDouble) + 0.05 * at::randn({3000, 3}, at::kDouble);
  const auto q = std::get<0>(at::linalg_qr(at::randn({3, 3}, at::kDouble)));
  const auto rotated = at::mm(codes, q);
  ProbeOptions o;
  o.fixed_c = 100.0;
  for (int64_t k = 0; k < 3; ++k) {
    const auto y = f.select(1, k).contiguous();
    const auto a = fit_class_probe(codes.narrow(0, 0, 2000), y.narrow(0, 0, 2000), codes.narrow(0, 2000, 1000),
                                   y.narrow(0, 2000, 1000), o);
    const auto b = fit_class_probe(rotated.narrow(0, 0, 2000), y.narrow(0, 0, 2000), rotated.narrow(0, 2000, 1000),
                                   y.narrow(0, 2000, 1000), o);
    EXPECT_GE(a.test.accuracy, 0.99) << k;
    EXPECT_NEAR(a.test.accuracy, b.test.accuracy, 0.01) << k;
  }
  EXPECT_GT(compute_mig(codes, f).mig, 0.9);
  EXPECT_LT(compute_mig(rotated, f).mig, 0.5);
}

TEST(LogisticProbe, AttributeProbeReportsEverything) {
  at::manual_seed(4);
  const auto x = at::randn({500, 8}, at::kDouble), xt = at::randn({200, 8}, at::kDouble);
  const auto w = at::randn({8, 4}, at::kDouble);
  const auto a = (at::mm(x, w) + 0.5 * at::randn({500, 4}, at::kDouble) > 0.5).to(at::kLong);
  const auto at_ = (at::mm(xt, w) + 0.5 * at::randn({200, 4}, at::kDouble) > 0.5).to(at::kLong);
  ProbeOptions o;
  o.c_grid = {0.01, 1.0};
  o.folds = 3;
  o.top_k = {1, 2};
  const auto r = fit_attribute_probe(x, a, xt, at_, o);
  ASSERT_EQ(r.attributes.size(), 4u);
  EXPECT_GE(r.macro_f1, 0.8);
  EXPECT_GE(r.mean_average_precision, 0.85);
  EXPECT_GE(r.macro_f1_tuned, r.macro_f1 - 0.05);
  const auto j = r.to_json();
  EXPECT_EQ(j["attributes"].size(), 4u);
  EXPECT_TRUE(j["top_k_recall"].contains("top_2"));
  EXPECT_THROW(fit_attribute_probe(x, a * 2, xt, at_, o), UserError);
  EXPECT_THROW(fit_attribute_probe(x, a, xt.narrow(1, 0, 7), at_, o), UserError);
}

}  // namespace
}  // namespace latentlab::metrics
