#include "metrics/disentanglement/latent_reduction.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/error.h"

namespace latentlab::metrics {

std::string LatentReduction::to_string() const {
  return kind == "pca" ? fmt::format("pca:{}", components) : kind;
}

LatentReduction parse_latent_reduction(const std::string& text, const std::string& subject) {
  LatentReduction r;
  if (text == "pool") return r;
  if (text.rfind("pca:", 0) == 0) {
    const std::string count = text.substr(4);
    size_t used = 0;
    long long n = 0;
    try {
      n = std::stoll(count, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == count.size() && !count.empty() && n >= 1) {
      r.kind = "pca";
      r.components = n;
      return r;
    }
  }
  fail_usage(subject, "unknown reduction '{}' (accepted: pool, pca:N with N >= 1)", text);
}

ReducedCodes reduce_latents(const at::Tensor& latents, const LatentReduction& reduction) {
  LATENTLAB_ASSERT(latents.dim() == 2 || latents.dim() == 4, "latents must be (N, J) or (N, C, h, w)");
  const auto x = latents.to(at::kCPU, at::kDouble);
  ReducedCodes out;
  if (reduction.kind == "pool") {
    out.codes = x.dim() == 4 ? x.mean({2, 3}) : x.clone();
    out.protocol = {{"reduction", "pool"}, {"definition", "mean over h x w per channel"}};
    return out;
  }
  const auto flat = x.reshape({x.size(0), -1});
  const int64_t d = flat.size(1);
  if (reduction.components > d)
    fail_usage("--reduce", "pca:{} asks for more components than the {} flattened latent values", reduction.components,
               d);
  const auto mean = flat.mean(0, true);
  const auto centred = flat - mean;
  const auto cov = at::mm(centred.t(), centred) / std::max<int64_t>(1, flat.size(0) - 1);
  const auto [values, vectors] = at::linalg_eigh(cov);  // ascending
  auto top = vectors.narrow(1, d - reduction.components, reduction.components).flip({1});
  // Sign: the largest-magnitude loading of each component positive (deterministic across LAPACKs).
  const auto index = top.abs().argmax(0, true);
  top = top * top.gather(0, index).sign();
  out.codes = at::mm(centred, top).contiguous();
  const double total = values.clamp_min(0).sum().item<double>();
  out.explained_variance =
      total > 0
          ? values.narrow(0, d - reduction.components, reduction.components).clamp_min(0).sum().item<double>() / total
          : 1.0;
  out.protocol = {{"reduction", reduction.to_string()},
                  {"definition", "flattened latents on their top principal components (fitted on all rows used)"},
                  {"components", reduction.components},
                  {"explained_variance", out.explained_variance}};
  return out;
}

}  // namespace latentlab::metrics
