#include "metrics/evaluate/metric_registry.h"

#include "core/error.h"

namespace latentlab::metrics {

const std::vector<MetricEntry>& generative_metrics() {
  static const std::vector<MetricEntry> list = {
      {"fid", "Frechet Inception distance on pool3 (2048-d) statistics", kNeedPool3Stats, kNeedPool3Stats},
      {"sfid", "spatial FID on mixed_6/conv features (2023-d), as ADM", kNeedSpatialStats, kNeedSpatialStats},
      {"is", "Inception Score of the generated set (needs no real set)", kNeedNothing, kNeedLogits},
      {"kid", "kernel Inception distance, polynomial MMD over subsets", kNeedPool3Rows, kNeedPool3Rows},
      {"pr", "precision, recall (k=3), density, coverage (k=5) on pool3", kNeedPool3Rows, kNeedPool3Rows},
      {"fd_dinov2", "Frechet distance on DINOv2 CLS features (EDM2; ViT-L/14 weights), in a run of its own",
       kNeedPool3Stats, kNeedPool3Stats},
      {"fd_teacher", "Frechet distance on mean-pooled teacher patch features (--features teacher:<spec>; not FID)",
       kNeedPool3Stats, kNeedPool3Stats},
  };
  return list;
}

std::vector<std::string> generative_metric_names() {
  std::vector<std::string> names;
  for (const auto& m : generative_metrics()) names.push_back(m.name);
  return names;
}

const MetricEntry& find_generative_metric(const std::string& name, const std::string& subject) {
  for (const auto& m : generative_metrics())
    if (m.name == name) return m;
  std::string known;
  for (const auto& m : generative_metrics()) known += (known.empty() ? "" : ", ") + m.name;
  fail_usage(subject, "unknown metric '{}' (known: {})", name, known);
}

std::string generative_metrics_help() {
  std::string text;
  for (const auto& m : generative_metrics()) text += (text.empty() ? "" : "; ") + m.name + ": " + m.summary;
  return text;
}

}  // namespace latentlab::metrics
