// Correlation of latent measures with gFID across several VAEs (Send-VAE Fig. 1: Pearson −0.9572 between
// attribute-prediction recall and FID; PAPER.md §1, §11). Torch-free; the coefficients are stats/correlation.h.
//   Pearson  r = Σ(x − x̄)(y − ȳ) / √(Σ(x − x̄)² Σ(y − ȳ)²)
//   Spearman ρ = Pearson of the ranks, ties given their average rank (scipy.stats.spearmanr)
// Measures are the numeric leaves of each VAE's results JSONs (`results` blocks; arrays skipped), named
// "<command>:<dotted.path>", e.g. "probe:attributes.linear.test.macro_f1", "analyze latents:alignment.cka".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace latentlab::metrics {

// "<command>:<path>" -> value for every number (not bool) under document["results"]; arrays are skipped.
std::map<std::string, double> numeric_measures(const nlohmann::json& document);

struct MeasureCorrelation {
  std::string measure;
  std::vector<double> values;  // one per VAE
  double pearson = 0.0, spearman = 0.0;
};

// Measures present in every VAE's map and not constant across them, with their correlations against `gfid`
// (one per VAE, >= 3 VAEs), sorted by |Pearson| (largest first). `subject` names the inputs in errors.
std::vector<MeasureCorrelation> correlate_with_gfid(const std::vector<std::map<std::string, double>>& vaes,
                                                    const std::vector<double>& gfid, const std::string& subject);

}  // namespace latentlab::metrics
