// t-SNE's objective and optimiser (tsne.h); the affinities are in tsne_affinities.cpp.
#include "metrics/analysis/tsne.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "core/error.h"
#include "metrics/analysis/kde_uniformity.h"
#include "metrics/analysis/tsne_quadtree.h"

namespace latentlab::metrics {
namespace {

constexpr double kFloatTiny = static_cast<double>(std::numeric_limits<float>::min());  // sklearn's FLOAT32_TINY
constexpr double kGradientScale = 4.0;  // 2 (dof + 1) / dof with one degree of freedom

// Barnes–Hut KL and gradient of embedding y (n, 2) into `gradient` (n, 2); KL only when `want_kl`.
double barnes_hut_objective(const SparseAffinities& p, const std::vector<double>& p_value, const double* y,
                            double angle, bool want_kl, double* gradient) {
  const int64_t n = p.n;
  const TsneQuadTree tree(y, n);
  std::vector<double> repulsion(static_cast<size_t>(2 * n), 0.0), z_part(static_cast<size_t>(n));
  at::parallel_for(0, n, 64, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) z_part[i] = tree.repulsion(y + 2 * i, angle * angle, &repulsion[2 * i]);
  });
  double z = 0.0;
  for (double v : z_part) z += v;
  std::vector<double> kl_part(static_cast<size_t>(n), 0.0);
  at::parallel_for(0, n, 64, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      double fx = 0.0, fy = 0.0, kl = 0.0;
      for (int64_t a = p.row_start[i]; a < p.row_start[i + 1]; ++a) {
        const double* yj = y + 2 * p.column[a];
        const double dx = y[2 * i] - yj[0], dy = y[2 * i + 1] - yj[1];
        const double w = 1.0 / (1.0 + dx * dx + dy * dy), pij = p_value[a];
        fx += pij * w * dx;
        fy += pij * w * dy;
        if (want_kl) kl += pij * std::log(std::max(pij, kFloatTiny) / std::max(w / z, kFloatTiny));
      }
      gradient[2 * i] = kGradientScale * (fx - repulsion[2 * i] / z);
      gradient[2 * i + 1] = kGradientScale * (fy - repulsion[2 * i + 1] / z);
      kl_part[i] = kl;
    }
  });
  double kl = 0.0;
  for (double v : kl_part) kl += v;
  return kl;
}

at::Tensor as_tensor(const std::vector<double>& values) {
  return at::tensor(values, at::kDouble).view({-1, 2});
}

}  // namespace

TsneMethod parse_tsne_method(const std::string& text, const std::string& subject) {
  if (text == "barnes_hut" || text == "barnes-hut") return TsneMethod::barnes_hut;
  if (text == "exact") return TsneMethod::exact;
  fail_usage(subject, "unknown t-SNE method '{}' (known: barnes_hut, exact)", text);
}

TsneInit parse_tsne_init(const std::string& text, const std::string& subject) {
  if (text == "pca") return TsneInit::pca;
  if (text == "random") return TsneInit::random;
  fail_usage(subject, "unknown t-SNE start '{}' (known: pca, random)", text);
}

const char* tsne_method_name(TsneMethod method) {
  return method == TsneMethod::exact ? "exact" : "barnes_hut";
}
const char* tsne_init_name(TsneInit init) {
  return init == TsneInit::random ? "random" : "pca";
}

TsneObjective tsne_objective_exact(const at::Tensor& p, const at::Tensor& y) {
  const auto yd = y.to(at::kCPU, at::kDouble).contiguous();
  const auto pd = p.to(at::kCPU, at::kDouble);
  const auto x = yd.select(1, 0), v = yd.select(1, 1);
  const auto dx = x.view({-1, 1}) - x.view({1, -1}), dy = v.view({-1, 1}) - v.view({1, -1});
  auto w = 1.0 / (1.0 + dx * dx + dy * dy);
  w.fill_diagonal_(0);
  auto q = (w / w.sum()).clamp_min_(kMachineEpsilon).fill_diagonal_(1.0);  // diagonal: p = 0 adds nothing
  TsneObjective r;
  r.kl = (pd * at::log(pd.clamp_min(kMachineEpsilon) / q)).sum().item<double>();
  const auto pqw = (pd - q.fill_diagonal_(0)) * w;
  r.gradient = kGradientScale * (pqw.sum(1, true) * yd - at::mm(pqw, yd));
  return r;
}

TsneObjective tsne_objective_barnes_hut(const SparseAffinities& p, const at::Tensor& y, double angle) {
  const auto yd = y.to(at::kCPU, at::kDouble).contiguous();
  LATENTLAB_ASSERT(yd.dim() == 2 && yd.size(1) == 2 && yd.size(0) == p.n, "y must be (n, 2)");
  std::vector<double> gradient(static_cast<size_t>(2 * p.n));
  TsneObjective r;
  r.kl = barnes_hut_objective(p, p.value, yd.data_ptr<double>(), angle, true, gradient.data());
  r.gradient = as_tensor(gradient);
  return r;
}

at::Tensor tsne_start(const at::Tensor& x, const TsneOptions& options) {
  const int64_t n = x.size(0);
  if (options.init == TsneInit::random) {
    std::mt19937_64 rng(options.seed);
    std::normal_distribution<double> normal(0.0, 1e-4);
    std::vector<double> y(static_cast<size_t>(2 * n));
    for (auto& v : y) v = normal(rng);
    return as_tensor(y);
  }
  // sklearn 1.2: PCA scores rescaled so the first component has std 1e-4 (issue #18018).
  const auto scores = pca_2d(x.to(at::kCPU));
  return scores / scores.select(1, 0).std(/*unbiased=*/false) * 1e-4;
}

TsneResult tsne(const at::Tensor& x, const TsneOptions& options) {
  return tsne(x, tsne_start(x, options), options);
}

TsneResult tsne(const at::Tensor& x, const at::Tensor& start, const TsneOptions& options) {
  const int64_t n = x.size(0);
  if (options.iterations < options.exaggerated_iterations || options.exaggerated_iterations < 1)
    fail("t-SNE", "needs at least as many iterations ({}) as exaggerated ones ({}), and one of those",
         options.iterations, options.exaggerated_iterations);
  const bool exact = options.method == TsneMethod::exact;
  SparseAffinities sparse;
  at::Tensor dense;
  if (exact)
    dense = joint_probabilities_exact(x, options.perplexity);
  else
    sparse = joint_probabilities_nn(x, options.perplexity);
  TsneResult result;
  result.learning_rate = options.learning_rate > 0
                             ? options.learning_rate
                             : std::max(static_cast<double>(n) / options.early_exaggeration / 4.0, 50.0);
  std::vector<double> y(static_cast<size_t>(2 * n)), gradient(y.size());
  const auto start_d = start.to(at::kCPU, at::kDouble).contiguous();
  std::copy(start_d.data_ptr<double>(), start_d.data_ptr<double>() + y.size(), y.begin());

  // One stage of sklearn's _gradient_descent with P scaled by `exaggeration`; returns the last index run.
  const auto stage = [&](int64_t first, int64_t stop, double momentum, int64_t without_progress, double exaggeration) {
    at::Tensor p_dense = exact ? dense * exaggeration : at::Tensor();
    std::vector<double> p_value = sparse.value;
    for (auto& v : p_value) v *= exaggeration;
    std::vector<double> update(y.size(), 0.0), gains(y.size(), 1.0);
    double best_error = std::numeric_limits<double>::max();
    int64_t best_iteration = first, i = first;
    for (i = first; i < stop; ++i) {
      const bool check = (i + 1) % options.check_every == 0;
      const bool want_kl = check || i == stop - 1;
      if (exact) {
        auto r = tsne_objective_exact(p_dense, as_tensor(y));
        result.kl = r.kl;
        std::copy(r.gradient.data_ptr<double>(), r.gradient.data_ptr<double>() + y.size(), gradient.begin());
      } else {
        result.kl = barnes_hut_objective(sparse, p_value, y.data(), options.angle, want_kl, gradient.data());
      }
      double squared_norm = 0.0;
      for (size_t c = 0; c < y.size(); ++c) {
        gains[c] = update[c] * gradient[c] < 0.0 ? gains[c] + 0.2 : gains[c] * 0.8;
        gains[c] = std::max(gains[c], options.min_gain);
        const double g = gradient[c] * gains[c];
        squared_norm += g * g;
        update[c] = momentum * update[c] - result.learning_rate * g;
        y[c] += update[c];
      }
      if (!check) continue;
      if (result.kl < best_error) {
        best_error = result.kl;
        best_iteration = i;
      } else if (i - best_iteration > without_progress) {
        break;
      }
      if (std::sqrt(squared_norm) <= options.min_grad_norm) break;
    }
    return std::min(i, stop - 1);
  };
  const int64_t explored =
      stage(0, options.exaggerated_iterations, 0.5, options.exaggerated_iterations, options.early_exaggeration);
  result.iterations = stage(explored + 1, options.iterations, 0.8, options.iterations_without_progress, 1.0);
  result.embedding = as_tensor(y);
  return result;
}

}  // namespace latentlab::metrics
