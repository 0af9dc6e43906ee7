// t-SNE to 2-D (van der Maaten & Hinton 2008; Barnes–Hut: van der Maaten 2014) as scikit-learn 1.2's
// sklearn.manifold.TSNE does it with its defaults — the projection of VA-VAE's uniformity recipe
// (kde_uniformity.h; LightningDiT `tools/latent_vis.py` calls TSNE(perplexity=30, n_iter=1000)).
//
//  - Affinities: squared Euclidean distances (rounded to float32, as sklearn passes them) to the
//    k = min(n − 1, ⌊3·perplexity + 1⌋) nearest neighbours (Barnes–Hut) or to all points (exact); per row a
//    binary search of the Gaussian precision β (from 1, ×2 / ÷2 until bracketed, then bisection; ≤ 100
//    steps; |entropy − ln perplexity| ≤ 1e-5); P = (P_cond + P_condᵀ) / Σ (exact: each p_ij floored at 2^-52).
//  - Embedding kernel: Student t with one degree of freedom, w_ij = 1 / (1 + ‖y_i − y_j‖²), q = w / Z.
//    Gradient 4 Σ_j (p_ij − q_ij) w_ij (y_i − y_j); Barnes–Hut takes the repulsive part from a quadtree
//    (tsne_quadtree.h) with `angle` 0.5.
//  - Optimiser: sklearn's _gradient_descent — gains (+0.2 when the step and gradient disagree in sign, ×0.8
//    otherwise, floored at 0.01), momentum 0.5 for the first 250 iterations with P × 12 (early
//    exaggeration), then 0.8 with fresh gains and update; learning rate 'auto' = max(n / 12 / 4, 50); the
//    KL is evaluated every 50 iterations and each stage stops early after 250 / 300 iterations without
//    progress or when the gain-scaled gradient's norm is ≤ 1e-7.
//  - Start: 'pca' (sklearn 1.2's default): the top two principal component scores (sign fixed as
//    svd_flip does) scaled so the first has std 1e-4; or 'random': N(0, 1e-4²) from std::mt19937_64(seed).
// Float64 throughout (sklearn keeps the embedding in float32). Rows and neighbours run on both cores
// (at::parallel_for). Inputs: x (n, D) rows on any device (moved to the CPU), n > perplexity.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace latentlab::metrics {

// sklearn's MACHINE_EPSILON (2^-52): the floor of probabilities and of their sums.
inline constexpr double kMachineEpsilon = std::numeric_limits<double>::epsilon();

enum class TsneMethod { barnes_hut, exact };
enum class TsneInit { pca, random };

struct TsneOptions {
  double perplexity = 30.0;
  double early_exaggeration = 12.0;
  double learning_rate = 0.0;  // <= 0: 'auto'
  int64_t iterations = 1000;   // n_iter, the exaggerated ones included
  int64_t exaggerated_iterations = 250;
  int64_t iterations_without_progress = 300;
  int64_t check_every = 50;
  double min_grad_norm = 1e-7;
  double min_gain = 0.01;
  TsneMethod method = TsneMethod::barnes_hut;
  double angle = 0.5;  // Barnes–Hut only; 0 = exact repulsion through the tree
  TsneInit init = TsneInit::pca;
  uint64_t seed = 0;  // 'random' start only
};

// "barnes_hut" | "exact", "pca" | "random"; a UserError naming `subject` otherwise.
TsneMethod parse_tsne_method(const std::string& text, const std::string& subject);
TsneInit parse_tsne_init(const std::string& text, const std::string& subject);
const char* tsne_method_name(TsneMethod method);
const char* tsne_init_name(TsneInit init);

// Symmetric joint probabilities over nearest-neighbour pairs, CSR (each row's columns ascending).
struct SparseAffinities {
  int64_t n = 0;
  std::vector<int64_t> row_start, column;  // row_start has n + 1 entries
  std::vector<double> value;
};

// The k nearest other rows of x (n, D) by Euclidean distance: indices (n, k) int64, nearest first, and
// their squared distances (n, k) float64 (recomputed from differences, not from the Gram expansion).
std::pair<at::Tensor, at::Tensor> tsne_neighbours(const at::Tensor& x, int64_t k);

// sklearn's _binary_search_perplexity on squared distances (n, m) float64, rounded to float32 first:
// conditional probabilities (n, m) float64. With `skip_self` (the (n, n) exact case) entry (i, i) is 0.
at::Tensor conditional_probabilities(const at::Tensor& squared_distances, double perplexity, bool skip_self);

// sklearn's _joint_probabilities_nn on x's k = min(n − 1, ⌊3·perplexity + 1⌋) nearest neighbours.
SparseAffinities joint_probabilities_nn(const at::Tensor& x, double perplexity);
// sklearn's _joint_probabilities on all pairs, as a dense (n, n) float64 matrix with a zero diagonal.
at::Tensor joint_probabilities_exact(const at::Tensor& x, double perplexity);

struct TsneObjective {
  double kl = 0.0;      // KL(P ‖ Q) (with P as given, exaggerated or not)
  at::Tensor gradient;  // (n, 2) float64, dKL/dy
};
// sklearn's _kl_divergence: all pairs, q floored at 2^-52. y (n, 2).
TsneObjective tsne_objective_exact(const at::Tensor& p, const at::Tensor& y);
// sklearn's _kl_divergence_bh: attraction over P's pairs, repulsion and Z from the quadtree; its KL sums
// p·ln(max(p, FLT_MIN) / max(q, FLT_MIN)) over P's pairs only.
TsneObjective tsne_objective_barnes_hut(const SparseAffinities& p, const at::Tensor& y, double angle);

// The start embedding (n, 2) float64 of `init`.
at::Tensor tsne_start(const at::Tensor& x, const TsneOptions& options);

struct TsneResult {
  at::Tensor embedding;    // (n, 2) float64
  double kl = 0.0;         // at the last iteration, as sklearn's kl_divergence_
  int64_t iterations = 0;  // index of the last iteration run, as sklearn's n_iter_
  double learning_rate = 0.0;
};
TsneResult tsne(const at::Tensor& x, const TsneOptions& options);
// The same from a given start embedding (n, 2).
TsneResult tsne(const at::Tensor& x, const at::Tensor& start, const TsneOptions& options);

}  // namespace latentlab::metrics
