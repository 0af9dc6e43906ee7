// Every feature extractor, in one explicit list (DESIGN.md "Registries are explicit lists"; no static
// self-registration). Adding an extractor = one source file + one test file + one line in registry.cpp.
// `--help` choices and `latentlab list extractors` come from this list.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "metrics/features/feature_extractor.h"

namespace latentlab::metrics {

struct FeatureExtractorEntry {
  std::string name;     // kebab-case, with the version of what it loads: "inception-2015-12-05"
  std::string summary;  // one line for listings
  std::unique_ptr<FeatureExtractor> (*factory)(const FeatureExtractorOptions& options);
};

const std::vector<FeatureExtractorEntry>& feature_extractors();
std::vector<std::string> feature_extractor_names();

// Throws a usage UserError naming `subject` (e.g. "--extractor") and listing the known names for an unknown
// name; errors of the extractor itself (weights, options) come from its factory.
std::unique_ptr<FeatureExtractor> make_feature_extractor(const std::string& name,
                                                         const FeatureExtractorOptions& options,
                                                         const std::string& subject = "--extractor");

// The extractor `options.features` names: a registry name, "dinov2" (any published DINOv2, the architecture
// read from the weights) or "teacher:<make_teacher spec>" (metrics/features/teacher_extractor.h); `fallback`
// (a registry name) when it is empty. Unknown names are a usage UserError naming --features.
std::unique_ptr<FeatureExtractor> make_features_extractor(const FeatureExtractorOptions& options,
                                                          const std::string& fallback);

}  // namespace latentlab::metrics
