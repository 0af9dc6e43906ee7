#include "metrics/analysis/kde_uniformity.h"

#include <cmath>
#include <random>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/error.h"

namespace latentlab::metrics {

double gini_coefficient(const at::Tensor& values) {
  const auto d = std::get<0>(values.to(at::kDouble).reshape({-1}).sort());
  const int64_t n = d.numel();
  LATENTLAB_ASSERT(n >= 1, "Gini of nothing");
  const double total = d.sum().item<double>();
  if (total <= 0) return 0.0;
  const auto weights = 2.0 * at::arange(1, n + 1, d.options()) - static_cast<double>(n) - 1.0;
  return (weights * d).sum().item<double>() / (static_cast<double>(n) * total);
}

at::Tensor gaussian_kde_self_density(const at::Tensor& points, int64_t chunk_rows) {
  LATENTLAB_ASSERT(points.dim() == 2 && points.size(0) > points.size(1), "KDE needs more points than dimensions");
  const auto x = points.to(at::kDouble);
  const int64_t n = x.size(0), d = x.size(1);
  const double factor = std::pow(static_cast<double>(n), -1.0 / (static_cast<double>(d) + 4.0));  // Scott
  const auto centred = x - x.mean(0, true);
  const auto covariance = at::mm(centred.t(), centred) / static_cast<double>(n - 1) * (factor * factor);
  // Whiten with the Cholesky factor: ‖L⁻¹(x_i − x_j)‖² is the kernel's Mahalanobis distance.
  const auto cholesky = at::linalg_cholesky(covariance);
  const auto white = at::linalg_solve_triangular(cholesky, x.t(), /*upper=*/false).t().contiguous();
  const double log_norm =
      -0.5 * static_cast<double>(d) * std::log(2 * M_PI) - at::log(at::diagonal(cholesky)).sum().item<double>();
  const auto norms = white.pow(2).sum(1);
  std::vector<at::Tensor> parts;
  for (int64_t s = 0; s < n; s += chunk_rows) {
    const int64_t e = std::min(n, s + chunk_rows);
    // In place: exp(−½‖w_i − w_j‖² + log_norm) without chunk × n temporaries per step.
    auto block = at::mm(white.slice(0, s, e), white.t());
    block.mul_(-2.0).add_(norms.slice(0, s, e).view({-1, 1})).add_(norms.view({1, -1})).clamp_min_(0);
    parts.push_back(block.mul_(-0.5).add_(log_norm).exp_().mean(1));
  }
  return at::cat(parts);
}

at::Tensor pca_2d(const at::Tensor& rows) {
  LATENTLAB_ASSERT(rows.dim() == 2 && rows.size(1) >= 2, "PCA to 2-D needs at least 2 columns");
  const auto centred = rows.to(at::kDouble) - rows.to(at::kDouble).mean(0, true);
  const auto svd = at::linalg_svd(centred, /*full_matrices=*/false);
  const auto scores = at::mm(centred, std::get<2>(svd).slice(0, 0, 2).t());
  // svd_flip (u-based): the largest |score| of each component is positive, so the signs are reproducible.
  const auto largest = scores.abs().argmax(0).view({1, -1});
  return scores * at::sign(scores.gather(0, largest));
}

double density_gini(const at::Tensor& points) {
  return gini_coefficient(gaussian_kde_self_density(points));
}

Projection parse_projection(const std::string& text, const std::string& subject) {
  if (text == "tsne" || text == "t-sne") return Projection::tsne;
  if (text == "pca" || text == "pca-2d") return Projection::pca;
  fail_usage(subject, "unknown projection '{}' (known: tsne, pca)", text);
}

bool comparable_with_va_vae(const UniformityOptions& o) {
  return o.projection == Projection::tsne && o.tsne.perplexity == 30.0 && o.tsne.iterations == 1000 &&
         o.pixels == 10000;
}

namespace {

// The run's 2-D points, on the pixels' device; `kl` gets t-SNE's final KL (NaN for PCA).
at::Tensor project(const at::Tensor& pixels, const UniformityOptions& options, uint64_t seed, double& kl) {
  kl = std::nan("");
  if (options.projection == Projection::pca) return pca_2d(pixels);
  auto tsne_options = options.tsne;
  tsne_options.seed = seed;
  const auto r = tsne(pixels, tsne_options);
  kl = r.kl;
  return r.embedding.to(pixels.device());
}

}  // namespace

double kde_gini(const at::Tensor& normalised_pixels, const UniformityOptions& options, uint64_t seed) {
  double kl = 0;
  return density_gini(project(normalised_pixels, options, seed, kl));
}

at::Tensor sample_pixels(const at::Tensor& latents, int64_t count, uint64_t seed) {
  LATENTLAB_ASSERT(latents.dim() == 4 || latents.dim() == 2, "latents must be (N, C, h, w) or (N, C)");
  const auto grid = latents.dim() == 4 ? latents : latents.view({latents.size(0), latents.size(1), 1, 1});
  const int64_t n = grid.size(0), h = grid.size(2), w = grid.size(3);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> example(0, n - 1), position(0, h * w - 1);
  std::vector<int64_t> rows(static_cast<size_t>(count)), cells(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) rows[i] = example(rng), cells[i] = position(rng);
  const auto flat = grid.reshape({n, grid.size(1), h * w});
  const auto r = at::tensor(rows, at::kLong).to(grid.device()), c = at::tensor(cells, at::kLong).to(grid.device());
  return flat.index({r, at::indexing::Slice(), c}).to(at::kDouble);  // (count, C)
}

at::Tensor normalised_pixels(const at::Tensor& latents, const std::vector<double>& channel_mean,
                             const std::vector<double>& channel_std, int64_t count, uint64_t seed) {
  const auto mean = at::tensor(channel_mean, at::kDouble).to(latents.device()).view({1, -1});
  auto std = at::tensor(channel_std, at::kDouble).to(latents.device()).view({1, -1});
  std = at::where(std > 0, std, at::ones_like(std));  // a constant channel stays 0 after centring
  return (sample_pixels(latents, count, seed) - mean) / std;
}

nlohmann::json kde_uniformity(const at::Tensor& latents, const std::vector<double>& channel_mean,
                              const std::vector<double>& channel_std, const UniformityOptions& options) {
  std::vector<double> ginis, kls;
  for (int64_t r = 0; r < options.runs; ++r) {
    const uint64_t seed = options.seed + static_cast<uint64_t>(r);
    double kl = 0;
    const auto points =
        project(normalised_pixels(latents, channel_mean, channel_std, options.pixels, seed), options, seed, kl);
    ginis.push_back(density_gini(points));
    kls.push_back(kl);
  }
  const auto g = at::tensor(ginis, at::kDouble);
  const bool tsne = options.projection == Projection::tsne;
  nlohmann::json result{
      {"gini_mean", g.mean().item<double>()},
      {"gini_std", options.runs > 1 ? g.std(/*unbiased=*/false).item<double>() : 0.0},
      {"gini_runs", ginis},
      {"definition", fmt::format("Gini of gaussian_kde (Scott) densities at `pixels` single-pixel vectors "
                                 "normalised by channel mean/std, projected to 2-D by {}",
                                 tsne ? "t-SNE (sklearn 1.2 TSNE defaults)" : "PCA (not t-SNE)")},
      {"projection", tsne ? "tsne" : "pca-2d"},
      {"comparable_with_va_vae", comparable_with_va_vae(options)},
      {"bandwidth", "scott"},
      {"evaluated_at", "the sample points"},
      {"pixels", options.pixels},
      {"runs", options.runs},
      {"seed", options.seed}};
  if (tsne) {
    const auto& t = options.tsne;
    result["tsne"] = {{"perplexity", t.perplexity},
                      {"iterations", t.iterations},
                      {"early_exaggeration", t.early_exaggeration},
                      {"exaggerated_iterations", t.exaggerated_iterations},
                      {"learning_rate", t.learning_rate > 0 ? nlohmann::json(t.learning_rate) : nlohmann::json("auto")},
                      {"method", tsne_method_name(t.method)},
                      {"angle", t.angle},
                      {"init", tsne_init_name(t.init)},
                      {"kl_runs", kls}};
  }
  return result;
}

}  // namespace latentlab::metrics
