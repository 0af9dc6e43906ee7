// latentlab analyze correlate: Pearson and Spearman correlation of every measure several VAEs' results share
// with their gFID (metrics/analysis/gfid_correlation.h; docs/analysis.md), as in Send-VAE's Fig. 1.
#include <iostream>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "core/error.h"
#include "core/options.h"
#include "io/results_json.h"
#include "metrics/analysis/gfid_correlation.h"
#include "metrics/analysis/text_items.h"

namespace latentlab::tools {

int analyze_correlate_main(int argc, const char* const* argv) {
  std::vector<std::string> vaes;
  std::string gfid_text, gfid_key = "gfid", out;
  int64_t top = 20;
  OptionGroup options("Options");
  options.add("gfid", &gfid_text, "gFID of each VAE, in argument order (comma list); else read with --gfid-key");
  options.add("gfid-key", &gfid_key, "Dotted results key holding a VAE's gFID in one of its files");
  options.add("top", &top, "Measures printed (all are written to --out)");
  options.add("out", &out, "Write the results JSON here");
  CommandParser parser({"analyze correlate",
                        "Pearson and Spearman correlation of every measure shared by several VAEs' results "
                        "(analyze, probe, disentangle, recon ...) with their gFID, as in Send-VAE's Fig. 1.",
                        "latentlab analyze correlate VAE_RESULTS... [--gfid F1,F2,...] --out r.json",
                        "latentlab analyze correlate in.json+in-probe.json va.json+va-probe.json "
                        "e2e.json+e2e-probe.json --gfid 17.43,11.40,8.96",
                        "latentlab analyze latents, latentlab probe"});
  parser.add(options);
  parser.positional_list("VAE_RESULTS", &vaes, "One argument per VAE: results JSONs joined by '+'", 3);
  if (!parser.parse(argc, argv)) return 0;
  std::vector<std::map<std::string, double>> measures;
  std::vector<io::InputRecord> inputs;
  for (const auto& vae : vaes) {
    std::map<std::string, double> merged;
    for (const auto& path : metrics::split_items(vae, '+')) {
      const auto found = metrics::numeric_measures(io::read_results(path));
      merged.insert(found.begin(), found.end());
      inputs.push_back(io::describe_input("results", path));
    }
    measures.push_back(std::move(merged));
  }
  std::vector<double> gfid = metrics::split_numbers(gfid_text, "--gfid");
  if (!gfid_text.empty() && gfid.size() != vaes.size())
    fail_usage("--gfid", "{} gFID values for {} VAEs", gfid.size(), vaes.size());
  if (gfid_text.empty()) {
    for (size_t v = 0; v < vaes.size(); ++v) {
      std::optional<double> value;
      for (const auto& [name, x] : measures[v])
        if (name.substr(name.find(':') + 1) == gfid_key) value = x;
      if (!value) fail(vaes[v], "has no results key '{}' (give --gfid or --gfid-key)", gfid_key);
      gfid.push_back(*value);
    }
  }
  const auto rows = metrics::correlate_with_gfid(measures, gfid, "VAE_RESULTS");
  nlohmann::json results{{"vaes", vaes}, {"gfid", gfid}, {"measures", nlohmann::json::array()}};
  for (const auto& r : rows)
    results["measures"].push_back(
        {{"measure", r.measure}, {"pearson", r.pearson}, {"spearman", r.spearman}, {"values", r.values}});
  nlohmann::json protocol{{"pearson", "sample correlation"},
                          {"spearman", "Pearson of average ranks (scipy.stats.spearmanr)"},
                          {"gfid_source", gfid_text.empty() ? "results key " + gfid_key : "--gfid"}};
  if (!out.empty())
    io::write_results(out,
                      io::make_results({"analyze correlate", "cpu", 1, parser.resolved()}, protocol, inputs, results));
  std::cout << fmt::format("{} VAEs, {} shared measures\n{:<60} {:>9} {:>9}\n", vaes.size(), rows.size(), "measure",
                           "pearson", "spearman");
  for (size_t i = 0; i < rows.size() && static_cast<int64_t>(i) < top; ++i)
    std::cout << fmt::format("{:<60} {:>9.4f} {:>9.4f}\n", rows[i].measure, rows[i].pearson, rows[i].spearman);
  return 0;
}

}  // namespace latentlab::tools
