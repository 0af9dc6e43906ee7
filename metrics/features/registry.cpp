// The list of feature extractors (see the header).
#include "metrics/features/registry.h"

#include <fmt/ranges.h>

#include "core/error.h"
#include "metrics/features/dinov2_extractor.h"
#include "metrics/features/inception_extractor.h"
#include "metrics/features/teacher_extractor.h"

namespace latentlab::metrics {

const std::vector<FeatureExtractorEntry>& feature_extractors() {
  static const std::vector<FeatureExtractorEntry> entries = {
      {kInceptionExtractorName,
       "Inception-v3 of TF 2015-12-05 (pytorch-fid weights): pool3 2048, logits 1008, sFID spatial 2023",
       make_inception_extractor},
      {"dinov2-vit-s14", "DINOv2 ViT-S/14 (dinov2_vits14_pretrain.pth): CLS 384, 224² bicubic-antialias",
       make_dinov2_vits14_extractor},
      {"dinov2-vit-b14", "DINOv2 ViT-B/14 (dinov2_vitb14_pretrain.pth): CLS 768, 224² bicubic-antialias",
       make_dinov2_vitb14_extractor},
      {"dinov2-vit-l14", "DINOv2 ViT-L/14 (dinov2_vitl14_pretrain.pth): CLS 1024, FD-DINOv2 as EDM2/dgm-eval",
       make_dinov2_vitl14_extractor},
      {"dinov2-vit-g14", "DINOv2 ViT-g/14 (dinov2_vitg14_pretrain.pth, SwiGLU): CLS 1536, 224² bicubic-antialias",
       make_dinov2_vitg14_extractor},
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

std::unique_ptr<FeatureExtractor> make_features_extractor(const FeatureExtractorOptions& options,
                                                          const std::string& fallback) {
  const std::string& name = options.features.empty() ? fallback : options.features;
  if (name.rfind(kTeacherFeaturesPrefix, 0) == 0) return make_teacher_extractor(name, options);
  if (name == "dinov2") return make_dinov2_extractor(options);
  return make_feature_extractor(name, options, "--features");
}

}  // namespace latentlab::metrics
