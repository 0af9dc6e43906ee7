// Every latent-space measure of one set of latents: what `latentlab analyze latents` runs (docs/analysis.md).
// Inputs: latents (N, C, h, w) or (N, D) (posterior means), optionally a teacher's features (N, D_t) of the
// same rows. Measures, each in its own file:
//   stats       channel_moments.h (mean, std, skewness, excess kurtosis) and active units (threshold 1e-2)
//   alignment   linear_cka.h (plain = headline, and debiased), knn_alignment.h (CKNNA, mutual k-NN) vs the
//               teacher; latents flattened (or pooled per channel), rows L2-normalised first by default
//   patch_alignment  patch_alignment.h: per image CKNNA / mutual k-NN of the resized latent map vs the
//               teacher's patch tokens, when the teacher is (N, T, D) tokens
//   spectrum    radial_spectrum.h of every latent channel (spatial latents only)
//   uniformity  kde_uniformity.h (KDE Gini after t-SNE (tsne.h) or PCA-2D)
//   gmm         diagonal_gmm.h on the same normalised single-pixel vectors
// Tensors stay on the device they are given on (the command moves them to --device).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "metrics/analysis/diagonal_gmm.h"
#include "metrics/analysis/kde_uniformity.h"

namespace latentlab::metrics {

// The measure names, in report order.
const std::vector<std::string>& latent_measure_names();
// "all" or a comma list of latent_measure_names(); UserError naming `subject` otherwise.
std::vector<std::string> parse_latent_measures(const std::string& text, const std::string& subject);

struct LatentAnalysisOptions {
  std::vector<std::string> measures = latent_measure_names();
  double active_threshold = 1e-2;
  // alignment
  int64_t neighbours = 10;
  bool normalize_rows = true;  // L2-normalise latent and teacher rows (platonic-rep's measure_alignment)
  bool pool_latents = false;   // align channel means instead of the flattened latent
  int64_t chunk_rows = 1024;   // Gram row block
  // spectrum
  int64_t spectrum_bins = 16;
  // uniformity and gmm
  UniformityOptions uniformity;
  std::vector<int64_t> gmm_components = {1, 2, 4, 8, 16, 32, 64};
  GmmOptions gmm;
};

struct LatentAnalysisReport {
  nlohmann::json results;             // {measure: {...}}
  nlohmann::json protocol;            // the options that change numbers
  std::vector<std::string> headline;  // one human line per measure
};

// `teacher` (N, D) features or (N, T, D) patch tokens (flattened for "alignment") may be undefined:
// "alignment" and "patch_alignment" are then skipped (listed under results.skipped). "spectrum" is
// skipped for (N, D) latents. UserError when the teacher's rows differ from the latents'.
LatentAnalysisReport analyze_latents(const at::Tensor& latents, const at::Tensor& teacher,
                                     const LatentAnalysisOptions& options);

}  // namespace latentlab::metrics
