// Every disentanglement score on one set of stored examples: what `latentlab disentangle` runs
// (docs/probes.md). Inputs: codes (N, J) — already reduced (latent_reduction.h) — and the ground-truth
// factors (N, K) of the same rows. The observational scores (MIG, SAP, DCI, modularity, explicitness) get
// disjoint train/test rows drawn with std::mt19937_64(seed) (dlib's study sizes, 10000/5000, scaled down
// in proportion when the store is smaller); the interventional ones (β-VAE, FactorVAE) look their
// observations up among all rows (factor_lookup.h). Every score keeps disentanglement_lib's defaults.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace latentlab::metrics {

// The score names, in report order: mig, sap, dci, dci-gbt, modularity, explicitness, beta-vae, factor-vae.
const std::vector<std::string>& disentanglement_score_names();
// "all" or a comma-separated subset; UserError naming `subject` (listing the known names) otherwise.
std::vector<std::string> parse_score_list(const std::string& text, const std::string& subject);

struct DisentangleOptions {
  std::vector<std::string> scores = disentanglement_score_names();
  int64_t num_train = 10000, num_test = 5000;  // observational train/test rows; β-VAE/FactorVAE train/eval points
  int64_t batch_size = 64;                     // β-VAE and FactorVAE
  int64_t num_variance_estimate = 10000;       // FactorVAE
  bool factor_vae_dlib_index = false;          // reproduce dlib's dimension-indexing quirk
  uint64_t seed = 0;
};

struct ScoreLine {
  std::string score, value_name;
  double value = 0.0;
};

struct DisentangleReport {
  nlohmann::json results;           // per score: the full result (with its protocol block)
  nlohmann::json protocol;          // split sizes, lookup mode, seed
  std::vector<ScoreLine> headline;  // the numbers of the stdout table
};

DisentangleReport run_disentanglement(const at::Tensor& codes, const at::Tensor& factors,
                                      const std::vector<std::string>& factor_names, const DisentangleOptions& options);

}  // namespace latentlab::metrics
