// The latent-space analyses (metrics/analysis/) against tests/reference/metrics/analysis_reference.py —
// numpy ports of platonic-rep's CKA / CKNNA / mutual k-NN (also per image on resized patch grids), scipy.stats moments,
// gaussian_kde, pearsonr and spearmanr, sklearn PCA and GaussianMixture — on identical inputs drawn by the script.
#ifdef LATENTLAB_WITH_ZIP  // the reference arrives as an .npz
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include <ATen/ATen.h>

#include "metrics/analysis/channel_moments.h"
#include "metrics/analysis/diagonal_gmm.h"
#include "metrics/analysis/gfid_correlation.h"
#include "metrics/analysis/kde_uniformity.h"
#include "metrics/analysis/knn_alignment.h"
#include "metrics/analysis/linear_cka.h"
#include "metrics/analysis/patch_alignment.h"
#include "metrics/analysis/radial_spectrum.h"
#include "reference/metrics/reference_npz.h"
#include "stats/correlation.h"

namespace latentlab::metrics {
namespace {

std::vector<double> reference_values(const at::Tensor& t) {
  const auto c = t.to(at::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

class AnalysisReference : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::reference_python_has("numpy, scipy, sklearn")) return;
    const auto r = testing::run_reference_python("metrics/analysis_reference.py", dir().file("ref.npz"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    npz() = std::make_unique<io::NpzReader>(dir().file("ref.npz"));
  }
  static void TearDownTestSuite() { npz().reset(); }
  static testing::ScratchDir& dir() {
    static testing::ScratchDir d;
    return d;
  }
  static std::unique_ptr<io::NpzReader>& npz() {
    static std::unique_ptr<io::NpzReader> n;
    return n;
  }
  void SetUp() override {
    ASSERT_TRUE(npz()) << "Debian's python3-numpy, python3-scipy and python3-sklearn are required";
  }
  static at::Tensor get(const std::string& key) { return io::to_tensor(npz()->read(key)); }
  static double scalar(const std::string& key) { return get(key).item<double>(); }
};

// float64 on both sides over 60 rows: sums of ~3600 terms of size ~1, so 1e-10 absolute is ample.
TEST_F(AnalysisReference, AlignmentMatchesPlatonicRepPort) {
  auto a = get("latents"), b = get("teacher");
  a = a / a.norm(2, {1}, true), b = b / b.norm(2, {1}, true);
  const auto cka = linear_cka(a, b, 16);
  const auto na = inner_product_neighbours(a, 5, 16), nb = inner_product_neighbours(b, 5, 16);
  std::printf("measured: CKA %.12f vs %.12f, debiased %.12f vs %.12f, CKNNA %.12f vs %.12f, mutual %.6f vs %.6f\n",
              cka.plain, scalar("cka"), cka.debiased, scalar("cka_debiased"), cknna(na, nb), scalar("cknna"),
              mutual_knn(na, nb), scalar("mutual_knn"));
  EXPECT_NEAR(cka.plain, scalar("cka"), 1e-10);
  EXPECT_NEAR(cka.debiased, scalar("cka_debiased"), 1e-10);
  EXPECT_NEAR(cknna(na, nb), scalar("cknna"), 1e-10);
  EXPECT_NEAR(mutual_knn(na, nb), scalar("mutual_knn"), 1e-12);
}

// REPA-E's patch-level variant: 3 images, (5, 6, 6) latents resized (numpy bilinear matrix, align_corners=False)
// to the 4 x 4 grid of 16 teacher tokens, k = 3 within each image, means over images.
TEST_F(AnalysisReference, PatchAlignmentMatchesNumpyResizeAndPlatonicRepPort) {
  const auto r = patch_alignment(get("patch_latents"), get("patch_tokens"), 3);
  std::printf("measured: patch CKNNA %.12f vs %.12f, mutual %.6f vs %.6f\n", r.cknna, scalar("patch_cknna"),
              r.mutual_knn, scalar("patch_mutual_knn"));
  EXPECT_EQ(r.grid_h, 4);
  EXPECT_NEAR(r.cknna, scalar("patch_cknna"), 1e-10);
  EXPECT_NEAR(r.mutual_knn, scalar("patch_mutual_knn"), 1e-12);
}

TEST_F(AnalysisReference, ChannelMomentsMatchScipy) {
  const auto m = channel_moments(get("moments_input"), 2);
  const auto mean = reference_values(get("mean")), std = reference_values(get("std")),
             skew = reference_values(get("skewness")), kurt = reference_values(get("kurtosis"));
  for (size_t c = 0; c < 3; ++c) {
    EXPECT_NEAR(m.mean[c], mean[c], 1e-12) << c;
    EXPECT_NEAR(m.std[c], std[c], 1e-12) << c;
    EXPECT_NEAR(m.skewness[c], skew[c], 1e-10) << c;
    EXPECT_NEAR(m.excess_kurtosis[c], kurt[c], 1e-10) << c;
  }
}

TEST_F(AnalysisReference, RadialSpectrumMatchesNumpyFft) {
  const auto s = radial_spectrum(get("spectrum_input"), 6);
  const auto energy = reference_values(get("spectrum_energy"));
  for (size_t b = 0; b < energy.size(); ++b) EXPECT_NEAR(s.energy[b], energy[b], 1e-12) << b;
  EXPECT_NEAR(s.high_frequency_ratio, scalar("spectrum_high"), 1e-12);
}

// KDE sums of 300 exponentials in float64 on both sides: 1e-10 relative.
TEST_F(AnalysisReference, KdeGiniMatchesScipyGaussianKde) {
  const auto density = gaussian_kde_self_density(get("kde_points"), 64);
  EXPECT_TRUE(at::allclose(density, get("kde_density"), 1e-10, 0));
  EXPECT_NEAR(gini_coefficient(density), scalar("kde_gini"), 1e-10);
  EXPECT_NEAR(density_gini(pca_2d(get("pca_pixels"))), scalar("pca_gini"), 1e-9);  // signs do not change densities
}

// Same start, same updates: the fits agree to rounding (EM is a contraction here; 1e-8 allows for sklearn's
// Cholesky-of-precision route to the same log-densities).
TEST_F(AnalysisReference, DiagonalGmmMatchesScikitLearn) {
  const auto x = get("gmm_x");
  GmmOptions o;
  GmmParameters start;
  start.weights = at::full({3}, 1.0 / 3.0, at::kDouble);
  start.means = x.index_select(0, get("gmm_start_rows").to(at::kLong));
  start.variances = (x.var(0, false) + o.reg_covar).view({1, -1}).repeat({3, 1});
  const auto fit = fit_diagonal_gmm(x, start, o);
  std::printf("measured: GMM score %.12f vs %.12f, BIC %.8f vs %.8f, %lld vs %lld iterations\n", fit.log_likelihood,
              scalar("gmm_score"), fit.bic, scalar("gmm_bic"), static_cast<long long>(fit.iterations),
              static_cast<long long>(get("gmm_iterations").item<int64_t>()));
  EXPECT_EQ(fit.iterations, get("gmm_iterations").item<int64_t>());
  EXPECT_NEAR(fit.log_likelihood, scalar("gmm_score"), 1e-8);
  EXPECT_NEAR(fit.bic, scalar("gmm_bic"), 1e-5);
  EXPECT_TRUE(at::allclose(fit.parameters.means, get("gmm_means"), 1e-8, 1e-8));
  EXPECT_TRUE(at::allclose(fit.parameters.variances, get("gmm_variances"), 1e-8, 1e-8));
}

TEST_F(AnalysisReference, CorrelationsMatchScipy) {
  const auto x = reference_values(get("corr_x")), y = reference_values(get("corr_y"));
  EXPECT_NEAR(stats::pearson(x, y), scalar("pearson"), 1e-14);
  EXPECT_NEAR(stats::spearman(x, y), scalar("spearman"), 1e-14);  // x has a tie
}

}  // namespace
}  // namespace latentlab::metrics
#endif
