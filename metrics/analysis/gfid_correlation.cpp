#include "metrics/analysis/gfid_correlation.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "stats/correlation.h"

namespace latentlab::metrics {
namespace {

void collect(const nlohmann::json& node, const std::string& path, const std::string& prefix,
             std::map<std::string, double>& out) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) collect(value, path.empty() ? key : path + "." + key, prefix, out);
  } else if (node.is_number()) {
    const double v = node.get<double>();
    if (std::isfinite(v)) out[prefix + path] = v;
  }
}

}  // namespace

std::map<std::string, double> numeric_measures(const nlohmann::json& document) {
  std::map<std::string, double> out;
  const std::string command = document.value("command", std::string("results"));
  if (document.contains("results")) collect(document["results"], "", command + ":", out);
  return out;
}

std::vector<MeasureCorrelation> correlate_with_gfid(const std::vector<std::map<std::string, double>>& vaes,
                                                    const std::vector<double>& gfid, const std::string& subject) {
  if (vaes.size() < 3) fail_usage(subject, "needs at least 3 VAEs to correlate, got {}", vaes.size());
  if (gfid.size() != vaes.size()) fail_usage(subject, "{} gFID values for {} VAEs", gfid.size(), vaes.size());
  std::vector<MeasureCorrelation> out;
  for (const auto& [measure, first] : vaes.front()) {
    MeasureCorrelation m{measure, {first}};
    for (size_t v = 1; v < vaes.size(); ++v) {
      const auto it = vaes[v].find(measure);
      if (it == vaes[v].end()) break;
      m.values.push_back(it->second);
    }
    if (m.values.size() != vaes.size()) continue;
    m.pearson = stats::pearson(m.values, gfid);
    if (std::isnan(m.pearson)) continue;  // constant across VAEs (or the gFIDs are)
    m.spearman = stats::spearman(m.values, gfid);
    out.push_back(std::move(m));
  }
  std::stable_sort(out.begin(), out.end(), [](const MeasureCorrelation& a, const MeasureCorrelation& b) {
    return std::abs(a.pearson) > std::abs(b.pearson);
  });
  return out;
}

}  // namespace latentlab::metrics
