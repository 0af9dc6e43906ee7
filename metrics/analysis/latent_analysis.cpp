#include "metrics/analysis/latent_analysis.h"

#include <algorithm>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join

#include "core/error.h"
#include "metrics/analysis/channel_moments.h"
#include "metrics/analysis/knn_alignment.h"
#include "metrics/analysis/linear_cka.h"
#include "metrics/analysis/patch_alignment.h"
#include "metrics/analysis/radial_spectrum.h"
#include "metrics/analysis/text_items.h"

namespace latentlab::metrics {
namespace {

bool wants(const LatentAnalysisOptions& o, const std::string& name) {
  return std::find(o.measures.begin(), o.measures.end(), name) != o.measures.end();
}

at::Tensor row_normalised(const at::Tensor& x) {
  return x / x.norm(2, {1}, true).clamp_min(1e-12);
}

nlohmann::json alignment(const at::Tensor& latents, const at::Tensor& teacher, const LatentAnalysisOptions& o) {
  auto a = o.pool_latents && latents.dim() == 4 ? latents.mean({2, 3}) : latents.reshape({latents.size(0), -1});
  auto b = teacher.reshape({teacher.size(0), -1});
  if (o.normalize_rows) a = row_normalised(a.to(at::kDouble)), b = row_normalised(b.to(at::kDouble));
  const auto cka = linear_cka(a, b, o.chunk_rows);
  const auto na = inner_product_neighbours(a, o.neighbours, o.chunk_rows);
  const auto nb = inner_product_neighbours(b, o.neighbours, o.chunk_rows);
  return {{"cka", cka.plain},
          {"cka_debiased", cka.debiased},
          {"cknna", cknna(na, nb)},
          {"mutual_knn", mutual_knn(na, nb)},
          {"rows", a.size(0)},
          {"latent_features", a.size(1)},
          {"teacher_features", b.size(1)}};
}

}  // namespace

const std::vector<std::string>& latent_measure_names() {
  static const std::vector<std::string> names = {"stats",    "alignment",  "patch_alignment",
                                                 "spectrum", "uniformity", "gmm"};
  return names;
}

std::vector<std::string> parse_latent_measures(const std::string& text, const std::string& subject) {
  if (text == "all") return latent_measure_names();
  std::vector<std::string> out;
  for (const auto& item : split_items(text)) {
    const auto& known = latent_measure_names();
    if (std::find(known.begin(), known.end(), item) == known.end())
      fail_usage(subject, "unknown measure '{}' (known: all, {})", item, fmt::join(known, ", "));
    out.push_back(item);
  }
  if (out.empty()) fail_usage(subject, "names no measure");
  return out;
}

LatentAnalysisReport analyze_latents(const at::Tensor& latents, const at::Tensor& teacher,
                                     const LatentAnalysisOptions& o) {
  LatentAnalysisReport r;
  r.results = nlohmann::json::object();
  r.results["skipped"] = nlohmann::json::object();
  const int64_t n = latents.size(0);
  const bool spatial = latents.dim() == 4;
  r.protocol = {{"measures", o.measures}, {"rows", n}, {"latent_shape", latents.sizes().slice(1).vec()}};
  const auto moments = channel_moments(latents);
  if (wants(o, "stats")) {
    if (n < 2) fail("latents", "active units need at least 2 rows, got {}", n);
    const auto active = active_units(latents, o.active_threshold);
    r.results["stats"] = {{"channels", moments.to_json()}, {"active_units", active.to_json()}};
    r.headline.push_back(
        fmt::format("active units: {} of {} (Var_x(mean) > {})", active.active, active.units, active.threshold));
  }
  if (wants(o, "alignment")) {
    if (!teacher.defined()) {
      r.results["skipped"]["alignment"] = "no --teacher features given";
    } else {
      if (teacher.size(0) != n) fail("--teacher", "has {} rows but the latents have {}", teacher.size(0), n);
      if (n <= o.neighbours) fail("--neighbours", "k = {} needs more than k rows (N = {})", o.neighbours, n);
      if (n < 4) fail("latents", "alignment needs at least 4 rows, got {}", n);
      r.results["alignment"] = alignment(latents, teacher.to(latents.device()), o);
      const auto& a = r.results["alignment"];
      r.headline.push_back(fmt::format("alignment: CKA {:.4f} (debiased {:.4f}), CKNNA {:.4f}, mutual {}-NN {:.4f}",
                                       a["cka"].get<double>(), a["cka_debiased"].get<double>(),
                                       a["cknna"].get<double>(), o.neighbours, a["mutual_knn"].get<double>()));
      r.protocol["alignment"] = {{"neighbours", o.neighbours},
                                 {"similarity", "inner product, self excluded"},
                                 {"rows_l2_normalised", o.normalize_rows},
                                 {"latent_features", o.pool_latents ? "channel means" : "flattened"},
                                 {"cka_headline", "plain (biased HSIC); cka_debiased uses the unbiased HSIC"},
                                 {"cknna", "platonic-rep cknna(unbiased=True), epsilon 1e-6"}};
    }
  }
  if (wants(o, "patch_alignment")) {
    if (!teacher.defined() || teacher.dim() != 3) {
      r.results["skipped"]["patch_alignment"] = "no --teacher patch tokens (an (N, T, D) features array) given";
    } else if (!spatial) {
      r.results["skipped"]["patch_alignment"] = "the latents are vectors, not (C, h, w) maps";
    } else {
      const auto patches = patch_alignment(latents, teacher.to(latents.device()), o.neighbours, o.normalize_rows);
      r.results["patch_alignment"] = patches.to_json();
      r.headline.push_back(fmt::format("patch alignment ({}x{} grid): CKNNA {:.4f}, mutual {}-NN {:.4f}",
                                       patches.grid_h, patches.grid_w, patches.cknna, o.neighbours,
                                       patches.mutual_knn));
    }
  }
  if (wants(o, "spectrum")) {
    if (!spatial) {
      r.results["skipped"]["spectrum"] = "the latents are vectors, not (C, h, w) maps";
    } else if (latents.size(2) < 2 || latents.size(3) < 2) {
      r.results["skipped"]["spectrum"] = "the latent maps are smaller than 2x2";
    } else {
      RadialSpectrumAccumulator spectrum(o.spectrum_bins);
      for (int64_t s = 0; s < n; s += o.chunk_rows) spectrum.update(latents.slice(0, s, std::min(n, s + o.chunk_rows)));
      const auto result = spectrum.finalize();
      r.results["spectrum"] = {{"latent", result.to_json()}};
      r.headline.push_back(fmt::format("spectrum: latent high-frequency ratio {:.4f}", result.high_frequency_ratio));
    }
  }
  if (wants(o, "uniformity") || wants(o, "gmm")) {
    if (moments.mean.size() < 2) fail("latents", "uniformity and gmm need at least 2 channels");
  }
  if (wants(o, "uniformity")) {
    const auto& u = r.results["uniformity"] = kde_uniformity(latents, moments.mean, moments.std, o.uniformity);
    r.protocol["uniformity"] = {{"projection", u["projection"]},
                                {"comparable_with_va_vae", u["comparable_with_va_vae"]}};
    r.headline.push_back(
        fmt::format("uniformity: KDE Gini {:.4f} ± {:.4f} ({}, {} runs{})", u["gini_mean"].get<double>(),
                    u["gini_std"].get<double>(), o.uniformity.projection == Projection::tsne ? "t-SNE" : "PCA-2D",
                    o.uniformity.runs,
                    comparable_with_va_vae(o.uniformity) ? "; VA-VAE's recipe" : "; not comparable with VA-VAE"));
  }
  if (wants(o, "gmm")) {
    const auto pixels = normalised_pixels(latents, moments.mean, moments.std, o.uniformity.pixels, o.uniformity.seed);
    auto gmm = o.gmm;
    gmm.seed = o.uniformity.seed;
    r.results["gmm"] = gmm_sweep(pixels, o.gmm_components, gmm);
    r.headline.push_back(fmt::format("gmm: NLL/dim {:.4f} at K = {} (lowest BIC)",
                                     r.results["gmm"]["nll_per_dim"].get<double>(),
                                     r.results["gmm"]["best_components"].get<int64_t>()));
  }
  return r;
}

}  // namespace latentlab::metrics
