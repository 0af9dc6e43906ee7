#include "metrics/evaluate/metric_choices.h"

#include "core/error.h"
#include "core/options.h"

namespace latentlab::metrics {

void MetricChoices::register_options(OptionGroup& options, OptionGroup& protocol) {
  options.add_list("metrics", &metrics, "Comma-separated metrics (repeatable). " + generative_metrics_help());
  protocol.add_choice("is-mode", &is_mode, {"torch-fidelity", "adm"},
                      "IS splits: torch-fidelity (10 splits, shuffled with seed 2020) or adm (splits of 5000, "
                      "no shuffle)");
  protocol.add("kid-subsets", &kid_subsets, "KID: number of subsets");
  protocol.add("kid-subset-size", &kid_subset_size, "KID: rows per subset (lowered to the smaller set, warned)");
  protocol.add("pr-k", &pr_k, "Precision/recall: k of the k-NN radii");
  protocol.add("dc-k", &dc_k, "Density/coverage: k of the k-NN radii");
}

GenerativeOptions MetricChoices::resolve() const {
  GenerativeOptions options;
  options.metrics = parse_metric_names(metrics, "--metrics");
  if (is_mode != "torch-fidelity" && is_mode != "adm")
    fail_usage("--is-mode", "must be torch-fidelity or adm, got '{}'", is_mode);
  options.is = is_mode == "adm" ? InceptionScoreOptions::adm() : InceptionScoreOptions::torch_fidelity();
  options.kid.subsets = kid_subsets;
  options.kid.subset_size = kid_subset_size;
  options.pr.pr_k = pr_k;
  options.pr.dc_k = dc_k;
  return options;
}

nlohmann::json MetricChoices::to_json() const {
  return {
      {"metrics", metrics}, {"is_mode", is_mode}, {"kid_subsets", kid_subsets}, {"kid_subset_size", kid_subset_size},
      {"pr_k", pr_k},       {"dc_k", dc_k}};
}

MetricChoices MetricChoices::from_json(const nlohmann::json& json, const std::string& subject) {
  MetricChoices c;
  try {
    c.metrics = json.at("metrics").get<std::vector<std::string>>();
    c.is_mode = json.at("is_mode").get<std::string>();
    c.kid_subsets = json.at("kid_subsets").get<int64_t>();
    c.kid_subset_size = json.at("kid_subset_size").get<int64_t>();
    c.pr_k = json.at("pr_k").get<int64_t>();
    c.dc_k = json.at("dc_k").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    fail(subject, "its metric choices are incomplete or mistyped: {}", e.what());
  }
  return c;
}

}  // namespace latentlab::metrics
