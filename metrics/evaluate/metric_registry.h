// The generative metrics `latentlab metrics` computes, in one explicit list (DESIGN.md "Registries are
// explicit lists"): name, one-line summary, and what each needs from the real and the generated set. The
// --metrics choices and help text come from this list; evaluate.cpp computes them.
#pragma once
#include <string>
#include <vector>

namespace latentlab::metrics {

// What a metric needs from one feature set (bit flags).
enum FeatureNeed : unsigned {
  kNeedNothing = 0,
  kNeedPool3Stats = 1,    // pool3 mean and covariance (a statistics file suffices); with the DINOv2 extractor
                          // (fd_dinov2) its global feature, the CLS token, takes pool3's place; with a
                          // teacher (fd-teacher) the mean of its patch tokens
  kNeedSpatialStats = 2,  // spatial (sFID) mean and covariance (latentlab or ADM reference statistics suffice)
  kNeedPool3Rows = 4,     // every pool3 feature row (images only)
  kNeedLogits = 8,        // every unbiased 1008-way logit row (images only)
};

struct MetricEntry {
  std::string name;     // "fid", "sfid", "is", "kid", "pr"
  std::string summary;  // one line for --help
  unsigned needs_real;  // FeatureNeed flags; kNeedNothing = the metric takes no real set
  unsigned needs_fake;
};

const std::vector<MetricEntry>& generative_metrics();
std::vector<std::string> generative_metric_names();
// Throws a usage UserError naming `subject` and the known names for an unknown or repeated name.
const MetricEntry& find_generative_metric(const std::string& name, const std::string& subject);
// "fid: Fréchet Inception distance ...; sfid: ..." for help texts.
std::string generative_metrics_help();

}  // namespace latentlab::metrics
