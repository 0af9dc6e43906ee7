// Uniformity of latents by the Gini coefficient of a kernel density estimate (VA-VAE, Yao et al. 2025,
// hustvl/LightningDiT `tools/latent_vis.py`; Send-VAE §3.1 uses it and shows it does not track gFID;
// PAPER.md §11.1, METRICS.md §13). Lower = more uniform.
//
// One run: `pixels` random single-pixel C-dim latent vectors (example and position uniform, seeded),
// normalised per channel by the dataset's mean and std → projected to 2-D → Gaussian KDE with scipy's
// gaussian_kde defaults (Scott's rule: kernel covariance = sample covariance (ddof 1) · n^(−2/(d+4)), d = 2),
// evaluated at the points themselves (no grid; each point's own kernel included, as kde(points) does)
// → G = Σ_i (2i − n − 1)·d_(i) / (n·Σ_i d_i) over ascending densities d_(1) ≤ … ≤ d_(n). Reported: mean and
// std over `runs` runs.
// Projection: t-SNE as VA-VAE (sklearn TSNE(perplexity=30, n_iter=1000), its other defaults; tsne.h), the
// default; or the top two principal components ("pca-2d", PAPER.md §13 row 25): fast and deterministic, but
// its numbers are NOT comparable with VA-VAE's. Only t-SNE with the published settings (perplexity 30, 1000
// iterations, 10,000 pixels) is labelled comparable in the results.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "metrics/analysis/tsne.h"

namespace latentlab::metrics {

// G of non-negative values (any order); 0 when all are equal, (n − 1)/n when one holds everything.
double gini_coefficient(const at::Tensor& values);

// Density of scipy's gaussian_kde(points.T) at each point, (n, d) float64 -> (n) float64; blocks of
// `chunk_rows` × n kernel values on the points' device.
at::Tensor gaussian_kde_self_density(const at::Tensor& points, int64_t chunk_rows = 512);

// Top-two principal component scores of (n, C) rows (centred; SVD), float64 (n, 2); each column's sign
// makes its largest-magnitude score positive (sklearn's svd_flip).
at::Tensor pca_2d(const at::Tensor& rows);

// Gini of the KDE densities of 2-D points (n, 2) at themselves.
double density_gini(const at::Tensor& points);

// `count` single-pixel vectors of latents (N, C, h, w) (or rows of (N, C)), example and position drawn
// uniformly with replacement from std::mt19937_64(seed): (count, C) float64.
at::Tensor sample_pixels(const at::Tensor& latents, int64_t count, uint64_t seed);
// The same, each channel c then mapped to (v − mean[c]) / std[c] (a zero std counts as 1).
at::Tensor normalised_pixels(const at::Tensor& latents, const std::vector<double>& channel_mean,
                             const std::vector<double>& channel_std, int64_t count, uint64_t seed);

enum class Projection { tsne, pca };
// "tsne" | "pca" (or "pca-2d"); a UserError naming `subject` otherwise.
Projection parse_projection(const std::string& text, const std::string& subject);

struct UniformityOptions {
  int64_t pixels = 10000, runs = 10;
  uint64_t seed = 0;  // run r draws (and seeds a random t-SNE start) with seed + r
  Projection projection = Projection::tsne;
  TsneOptions tsne;
};
// True for t-SNE with VA-VAE's settings: perplexity 30, 1000 iterations, 10,000 pixels.
bool comparable_with_va_vae(const UniformityOptions& options);

// One run on normalised pixel vectors (n, C): project (t-SNE seeded with `seed` or PCA), KDE, Gini.
double kde_gini(const at::Tensor& normalised_pixels, const UniformityOptions& options, uint64_t seed);

// Mean and std of kde_gini over the runs, normalised by the channel moments of all of `latents`.
nlohmann::json kde_uniformity(const at::Tensor& latents, const std::vector<double>& channel_mean,
                              const std::vector<double>& channel_std, const UniformityOptions& options);

}  // namespace latentlab::metrics
