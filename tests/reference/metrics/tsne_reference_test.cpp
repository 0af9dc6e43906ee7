// t-SNE (metrics/analysis/tsne.h) against scikit-learn 1.2 on identical inputs
// (tests/reference/metrics/tsne_reference.py): the deterministic parts — P from the perplexity search, the
// exact and Barnes–Hut objectives at a given embedding — to rounding, and the stochastic ones — the final KL,
// cluster structure, the uniformity Gini of LightningDiT's recipe — at the level of their spread.
#ifdef LATENTLAB_WITH_ZIP  // the reference arrives as an .npz
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include <ATen/ATen.h>

#include "metrics/analysis/kde_uniformity.h"
#include "metrics/analysis/tsne.h"
#include "reference/metrics/reference_npz.h"

namespace latentlab::metrics {
namespace {

class TsneReference : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (testing::reference_python_has("numpy, scipy, sklearn"))
      testing::run_reference_npz("metrics/tsne_reference.py", ref());
  }
  static void TearDownTestSuite() { ref().reset(); }
  static std::unique_ptr<testing::ReferenceNpz>& ref() {
    static std::unique_ptr<testing::ReferenceNpz> r;
    return r;
  }
  void SetUp() override {
    ASSERT_TRUE(ref()) << "Debian's python3-numpy, python3-scipy and python3-sklearn are required";
  }
  static at::Tensor get(const std::string& key) { return ref()->get(key).to(at::kDouble); }
  static double scalar(const std::string& key) { return ref()->scalar(key); }
};

at::Tensor dense(const SparseAffinities& p) {
  auto d = at::zeros({p.n, p.n}, at::kDouble);
  for (int64_t i = 0; i < p.n; ++i)
    for (int64_t a = p.row_start[i]; a < p.row_start[i + 1]; ++a) d[i][p.column[a]] = p.value[a];
  return d;
}

double relative_error(const at::Tensor& ours, const at::Tensor& theirs) {
  return ((ours - theirs).norm() / theirs.norm()).item<double>();
}

// Same float32 distances, same search in double: P agrees to ~1e-12 relative (1e-6 allows a float32
// rounding of a distance to land one ulp apart).
TEST_F(TsneReference, AffinitiesMatchJointProbabilities) {
  const auto x = get("x");
  const auto nn = dense(joint_probabilities_nn(x, 30.0)), exact = joint_probabilities_exact(x, 30.0);
  const auto p_nn = get("p_nn"), p_exact = get("p_exact");
  std::printf("measured: P_nn max |diff| %.3e (max %.3e), P_exact max |diff| %.3e\n",
              (nn - p_nn).abs().max().item<double>(), p_nn.max().item<double>(),
              (exact - p_exact).abs().max().item<double>());
  EXPECT_TRUE(at::equal(nn > 0, p_nn > 0));  // the same neighbour pairs
  EXPECT_TRUE(at::allclose(nn, p_nn, 1e-6, 1e-15));
  EXPECT_TRUE(at::allclose(exact, p_exact, 1e-6, 1e-15));
}

// Same P, same embedding: the all-pairs objective in float64 on both sides.
TEST_F(TsneReference, ExactObjectiveMatchesKlDivergence) {
  const auto r = tsne_objective_exact(get("p_exact"), get("y"));
  std::printf("measured: exact KL %.12f vs %.12f, gradient relative error %.3e\n", r.kl, scalar("exact_kl"),
              relative_error(r.gradient, get("exact_grad")));
  EXPECT_NEAR(r.kl, scalar("exact_kl"), 1e-6 * scalar("exact_kl"));
  EXPECT_TRUE(at::allclose(r.gradient, get("exact_grad"), 1e-6, 1e-12));
}

// sklearn's Barnes–Hut runs in float32 over the same tree: agreement to float32 rounding, stated as a
// relative gradient error below 1e-4 (measured: see the printed line). At angle 0 it is the exact repulsion.
TEST_F(TsneReference, BarnesHutObjectiveMatchesKlDivergenceBh) {
  SparseAffinities p;
  p.n = get("y").size(0);
  const auto indptr = ref()->get("p_nn_indptr").to(at::kLong), indices = ref()->get("p_nn_indices").to(at::kLong);
  const auto data = get("p_nn_data");
  for (int64_t i = 0; i <= p.n; ++i) p.row_start.push_back(indptr[i].item<int64_t>());
  for (int64_t a = 0; a < indices.size(0); ++a)
    p.column.push_back(indices[a].item<int64_t>()), p.value.push_back(data[a].item<double>());
  const auto half = tsne_objective_barnes_hut(p, get("y"), 0.5), zero = tsne_objective_barnes_hut(p, get("y"), 0.0);
  const double e_half = relative_error(half.gradient, get("bh_grad")),
               e_zero = relative_error(zero.gradient, get("bh0_grad"));
  std::printf("measured: BH KL %.8f vs %.8f, gradient relative error %.3e (angle 0.5), %.3e (angle 0)\n", half.kl,
              scalar("bh_kl"), e_half, e_zero);
  EXPECT_LT(e_half, 1e-4);
  EXPECT_LT(e_zero, 1e-4);
  EXPECT_NEAR(half.kl, scalar("bh_kl"), 1e-4 * scalar("bh_kl"));
  // Angle 0 through the tree = the all-pairs repulsion with the same (neighbour) attraction.
  const auto all = tsne_objective_exact(dense(p), get("y"));
  EXPECT_LT(relative_error(zero.gradient, all.gradient), 1e-10);
}

// The full default run (PCA start, Barnes–Hut, 1000 iterations) on three separated clusters: the same
// KL within 10 % (the runs differ in float32 vs float64 rounding), and each cluster kept apart.
TEST_F(TsneReference, FullRunMatchesTsneKl) {
  TsneOptions o;
  const auto r = tsne(get("tsne_x"), o);
  std::printf("measured: final KL %.5f vs sklearn %.5f (%lld iterations)\n", r.kl, scalar("tsne_kl"),
              static_cast<long long>(r.iterations));
  EXPECT_NEAR(r.kl, scalar("tsne_kl"), 0.1 * scalar("tsne_kl"));
  for (const auto& y : {r.embedding, get("tsne_embedding")}) {
    const auto d = at::cdist(y, y).fill_diagonal_(1e300);
    const auto labels = at::arange(240, at::kLong).div(80, "floor");
    const auto nearest = std::get<1>(d.topk(10, 1, false)).reshape(-1);
    const double purity =
        (labels.index_select(0, nearest).view({240, 10}) == labels.view({-1, 1})).to(at::kDouble).mean().item<double>();
    EXPECT_GE(purity, 0.99);
  }
}

// LightningDiT's uniformity recipe per draw: ours and sklearn+scipy agree within the spread over draws.
TEST_F(TsneReference, UniformityGiniMatchesLightningDitRecipe) {
  const auto pixels = get("gini_pixels"), theirs = get("gini_sklearn");
  UniformityOptions o;
  std::vector<double> ours;
  for (int64_t r = 0; r < pixels.size(0); ++r) ours.push_back(kde_gini(pixels[r], o, static_cast<uint64_t>(r)));
  const auto mine = at::tensor(ours, at::kDouble);
  const double spread = std::max(mine.std().item<double>(), theirs.std().item<double>());
  std::printf("measured: Gini mean %.5f ± %.5f vs LightningDiT recipe %.5f ± %.5f (per draw max |diff| %.5f)\n",
              mine.mean().item<double>(), mine.std().item<double>(), theirs.mean().item<double>(),
              theirs.std().item<double>(), (mine - theirs).abs().max().item<double>());
  EXPECT_LT(std::abs(mine.mean().item<double>() - theirs.mean().item<double>()), spread);
}

}  // namespace
}  // namespace latentlab::metrics

#endif  // LATENTLAB_WITH_ZIP
