// The list of feature extractors (see the header).
#include "metrics/features/registry.h"

#include <fmt/ranges.h>

#include "core/error.h"
#include "metrics/features/inception_extractor.h"

namespace latentlab::metrics {

const std::vector<FeatureExtractorEntry>& feature_extractors() {
  static const std::vector<FeatureExtractorEntry> entries = {
      {kInceptionExtractorName,
       "Inception-v3 of TF 2015-12-05 (pytorch-fid weights): pool3 2048, logits 1008, sFID spatial 2023",
       make_inception_extractor},
      // DINOv2 (dinov2-vitl14, …) goes here.
  };
  return entries;
}

std::vector<std::string> feature_extractor_names() {
  std::vector<std::string> names;
  for (const auto& entry : feature_extractors()) names.push_back(entry.name);
  return names;
}

std::unique_ptr<FeatureExtractor> make_feature_extractor(const std::string& name,
                                                         const FeatureExtractorOptions& options,
                                                         const std::string& subject) {
  for (const auto& entry : feature_extractors()) {
    if (entry.name == name) return entry.factory(options);
  }
  fail_usage(subject, "unknown feature extractor '{}' (known: {})", name, fmt::join(feature_extractor_names(), ", "));
}

}  // namespace latentlab::metrics
