// Channel moments, active units, radial spectra, KDE Gini, the diagonal GMM and the gFID correlations
// (metrics/analysis/) on closed forms. The scipy/sklearn cross-checks on identical inputs are in
// tests/reference/metrics/analysis_reference_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "metrics/analysis/channel_moments.h"
#include "metrics/analysis/diagonal_gmm.h"
#include "metrics/analysis/diagonal_gmm_em.h"
#include "metrics/analysis/gfid_correlation.h"
#include "metrics/analysis/kde_uniformity.h"
#include "metrics/analysis/radial_spectrum.h"
#include "stats/correlation.h"

namespace latentlab::metrics {
namespace {

TEST(ChannelMoments, BernoulliAndUniformChannels) {
  // Channel 0 holds 0, 0, 0, 1 (Bernoulli p = 1/4: skewness (1 − 2p)/√(p(1 − p)) = 2/√3, excess kurtosis
  // (1 − 6p(1 − p))/(p(1 − p)) = −2/3); channel 1 holds 1, 2, 3, 4 (skewness 0, excess kurtosis −1.36).
  const auto m = channel_moments(at::tensor({0.0, 1.0, 0.0, 2.0, 0.0, 3.0, 1.0, 4.0}).view({4, 2}), 3);
  ASSERT_EQ(m.mean.size(), 2u);
  EXPECT_DOUBLE_EQ(m.mean[0], 0.25);
  EXPECT_NEAR(m.std[0], std::sqrt(0.1875), 1e-15);
  EXPECT_NEAR(m.skewness[0], 2.0 / std::sqrt(3.0), 1e-12);
  EXPECT_NEAR(m.excess_kurtosis[0], -2.0 / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(m.mean[1], 2.5);
  EXPECT_NEAR(m.skewness[1], 0.0, 1e-15);
  EXPECT_NEAR(m.excess_kurtosis[1], -1.36, 1e-12);
  EXPECT_EQ(m.values_per_channel, 4);
  // Spatial layout: rows (2) × positions (2) per channel; chunking does not matter.
  const auto spatial = channel_moments(at::tensor({0.0, 0.0, 1.0, 2.0, 0.0, 1.0, 3.0, 4.0}).view({2, 2, 1, 2}), 1);
  EXPECT_EQ(spatial.values_per_channel, 4);
  for (int c = 0; c < 2; ++c) {
    EXPECT_NEAR(spatial.mean[c], m.mean[c], 1e-15);
    EXPECT_NEAR(spatial.skewness[c], m.skewness[c], 1e-12);
    EXPECT_NEAR(spatial.excess_kurtosis[c], m.excess_kurtosis[c], 1e-12);
  }
}

TEST(ActiveUnits, CountsCoordinatesAboveTheThreshold) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(3);
  auto latents = at::zeros({500, 2, 2, 3}, at::kFloat);
  latents.select(1, 0).normal_(0, 1, g);                              // variance ~1: active
  latents.select(1, 1).normal_(0, 0.01, g);                           // variance ~1e-4: inactive
  latents.select(1, 1).select(1, 0).select(1, 0).normal_(0, 0.5, g);  // one active coordinate of channel 1
  const auto a = active_units(latents);
  EXPECT_EQ(a.units, 12);
  EXPECT_EQ(a.active, 7);
  EXPECT_EQ(a.active_per_channel, (std::vector<int64_t>{6, 1}));
  EXPECT_DOUBLE_EQ(a.threshold, 1e-2);
}

at::Tensor cosine_map(int64_t h, int64_t w, double fy, double fx) {
  const auto y = at::arange(h, at::kDouble).view({h, 1}), x = at::arange(w, at::kDouble).view({1, w});
  return at::cos(2 * M_PI * (fy * y / static_cast<double>(h) + fx * x / static_cast<double>(w)));
}

TEST(RadialSpectrum, PureSinusoidPeaksInItsBin) {
  // 5 cycles across 32 samples: r = (5/32)/(1/2) = 0.3125, in bin 2 = (2/8, 3/8] of 8 bins.
  auto maps =
      at::stack({cosine_map(32, 32, 0, 5), cosine_map(32, 32, 4, 3)}).view({1, 2, 32, 32});  // 3-4-5: also r = 0.3125
  const auto s = radial_spectrum(maps + 7.0, 8);  // the offset (DC) is removed
  ASSERT_EQ(s.energy.size(), 8u);
  for (int b = 0; b < 8; ++b) EXPECT_NEAR(s.energy[b], b == 2 ? 1.0 : 0.0, 1e-12) << b;
  EXPECT_NEAR(s.high_frequency_ratio, 0.0, 1e-12);
  EXPECT_EQ(s.maps, 2);
  // 12 cycles: r = 0.75, bin 5 = (5/8, 6/8]; above half Nyquist.
  const auto high = radial_spectrum(cosine_map(32, 32, 12, 0).view({1, 1, 32, 32}), 8);
  EXPECT_NEAR(high.energy[5], 1.0, 1e-12);
  EXPECT_NEAR(high.high_frequency_ratio, 1.0, 1e-12);
}

TEST(RadialSpectrum, BatchIndependentAndSkipsConstantMaps) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(4);
  const auto maps = at::randn({5, 3, 8, 6}, g);
  RadialSpectrumAccumulator parts(6);
  parts.update(maps.slice(0, 0, 2));
  parts.update(maps.slice(0, 2, 5));
  parts.update(at::ones({1, 3, 8, 6}));  // constant: no power, skipped
  const auto a = parts.finalize(), b = radial_spectrum(maps, 6);
  EXPECT_EQ(a.maps, 15);
  double total = 0;
  for (size_t i = 0; i < a.energy.size(); ++i) {
    EXPECT_NEAR(a.energy[i], b.energy[i], 1e-14);
    total += a.energy[i];
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
}

TEST(KdeGini, UniformIsZeroDeltaIsMaximal) {
  EXPECT_DOUBLE_EQ(gini_coefficient(at::full({10}, 3.0)), 0.0);
  auto delta = at::zeros({10}, at::kDouble);
  delta[4] = 2.0;
  EXPECT_NEAR(gini_coefficient(delta), 0.9, 1e-15);                               // (n − 1)/n
  EXPECT_NEAR(gini_coefficient(at::tensor({3.0, 1.0, 2.0})), 4.0 / 18.0, 1e-15);  // (−2·1 + 0·2 + 2·3)/(3·6)
  // KDE densities: points on a uniform 20 × 20 grid are nearly equally dense (only the border has fewer
  // neighbours: G = 0.109 with scipy). Half the points at one spot (a delta) and half spread over [−5, 5]²:
  // the spread half has a few % of the delta's density, so G is close to 1/2.
  const auto side = at::linspace(0, 1, 20, at::kDouble);
  const auto grid = at::stack({side.repeat({20}), side.repeat_interleave(20)}, 1);
  auto g = at::make_generator<at::CPUGeneratorImpl>(5);
  auto clustered = at::randn({400, 2}, g, at::TensorOptions().dtype(at::kDouble)) * 0.01;
  clustered.slice(0, 0, 200).uniform_(-5, 5, g);
  EXPECT_LT(gini_coefficient(gaussian_kde_self_density(grid, 37)), 0.12);
  EXPECT_GT(gini_coefficient(gaussian_kde_self_density(clustered)), 0.4);
}

TEST(DiagonalGmm, OneComponentIsTheGaussianMaximumLikelihood) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(6);
  const auto x = at::randn({300, 3}, g, at::TensorOptions().dtype(at::kDouble)) * at::tensor({1.0, 2.0, 0.5});
  GmmOptions o;
  const auto fit = fit_diagonal_gmm(x, gmm_start(x, 1, o), o);
  // Mean log-likelihood of the MLE Gaussian: −½ Σ_d (ln 2πσ²_d + σ²_d/(σ²_d + reg)).
  const auto var = x.var(0, false);
  const double expected =
      (-0.5 * (at::log(2 * M_PI * (var + o.reg_covar)) + var / (var + o.reg_covar))).sum().item<double>();
  EXPECT_NEAR(fit.log_likelihood, expected, 1e-10);
  EXPECT_NEAR(fit.bic, -2.0 * 300 * expected + 6 * std::log(300.0), 1e-7);
}

TEST(DiagonalGmm, SeparatedClustersPreferTwoComponents) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(7);
  auto x = at::randn({400, 2}, g, at::TensorOptions().dtype(at::kDouble));
  x.slice(0, 0, 200) += 8.0;
  const auto sweep = gmm_sweep(x, {1, 2}, GmmOptions{});
  EXPECT_EQ(sweep["best_components"], 2);
  const auto& two = sweep["curve"][1];
  EXPECT_TRUE(two["converged"].get<bool>());
  // Two unit Gaussians: NLL per dimension ≈ ½ ln 2πe + ln 2 / 2 (the mixture weight) ≈ 1.42 + 0.35.
  EXPECT_NEAR(two["nll_per_dim"].get<double>(), 0.5 * std::log(2 * M_PI * M_E) + 0.5 * std::log(2.0), 0.1);
}

TEST(DiagonalGmm, EmStepsEqualTheDirectFormulas) {
  // The product form of diagonal_gmm_em.h against log N written per dimension and centred second moments.
  auto g = at::make_generator<at::CPUGeneratorImpl>(8);
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  const auto x = at::randn({60, 3}, g, f64) * 2.0 + 1.0;
  GmmParameters p{at::tensor({0.1, 0.2, 0.3, 0.4}, f64), at::randn({4, 3}, g, f64), 0.5 + at::rand({4, 3}, g, f64)};
  const auto log_prob = p.weights.log().view({1, 4}) -
                        0.5 * (at::log(2 * M_PI * p.variances).view({1, 4, 3}) +
                               (x.view({60, 1, 3}) - p.means.view({1, 4, 3})).pow(2) / p.variances.view({1, 4, 3}))
                                  .sum(2);
  DiagonalGmmEm em(x, 4);
  EXPECT_NEAR(em.e_step(p, true), at::logsumexp(log_prob, 1).mean().item<double>(), 1e-12);
  const double reg = 1e-3;
  em.m_step(p, reg);
  const auto resp = at::softmax(log_prob, 1);
  const auto nk = resp.sum(0) + 10 * std::numeric_limits<double>::epsilon();
  const auto means = at::mm(resp.t(), x) / nk.view({4, 1});
  const auto centred = (x.view({60, 1, 3}) - means.view({1, 4, 3})).pow(2);
  const auto variances = (resp.view({60, 4, 1}) * centred).sum(0) / nk.view({4, 1}) + reg;
  EXPECT_TRUE(at::allclose(p.weights, nk / nk.sum(), 0, 1e-14));
  EXPECT_TRUE(at::allclose(p.means, means, 0, 1e-12));
  EXPECT_TRUE(at::allclose(p.variances, variances, 0, 1e-12));
}

TEST(GfidCorrelation, PearsonSpearmanAndRanks) {
  const std::vector<double> x{1, 2, 3, 4, 5};
  EXPECT_NEAR(stats::pearson(x, {5, 3, 1, -1, -3}), -1.0, 1e-15);
  EXPECT_NEAR(stats::spearman(x, {1, 8, 27, 64, 125}), 1.0, 1e-15);
  EXPECT_EQ(stats::average_ranks({10, 20, 20, 30}), (std::vector<double>{1, 2.5, 2.5, 4}));
  // By hand: x = 1, 2, 3, y = 1, 3, 2: Σdxdy = 1, Σdx² = Σdy² = 2 → 0.5.
  EXPECT_NEAR(stats::pearson({1, 2, 3}, {1, 3, 2}), 0.5, 1e-15);
  EXPECT_TRUE(std::isnan(stats::pearson({1, 1, 1}, {1, 2, 3})));
}

TEST(GfidCorrelation, SharedNonConstantMeasuresSortedByStrength) {
  auto doc = [](double a, double b, double c) {
    return nlohmann::json{{"command", "probe"},
                          {"results", {{"a", a}, {"nested", {{"b", b}, {"flag", true}, {"list", {1, 2}}}}, {"c", c}}}};
  };
  std::vector<std::map<std::string, double>> vaes;
  for (const auto& d : {doc(1, 3, 5), doc(2, 1, 5), doc(3, 2, 5)}) vaes.push_back(numeric_measures(d));
  vaes[2].erase("probe:a");
  EXPECT_EQ(vaes[0].size(), 3u);  // a, nested.b, c: booleans and arrays are not measures
  const auto rows = correlate_with_gfid(vaes, {3, 1, 2}, "test");
  ASSERT_EQ(rows.size(), 1u);  // a is missing for one VAE, c is constant
  EXPECT_EQ(rows[0].measure, "probe:nested.b");
  EXPECT_NEAR(rows[0].pearson, 1.0, 1e-15);
  EXPECT_NEAR(rows[0].spearman, 1.0, 1e-15);
}

}  // namespace
}  // namespace latentlab::metrics
