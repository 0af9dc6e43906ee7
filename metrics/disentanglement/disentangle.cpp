#include "metrics/disentanglement/disentangle.h"

#include <algorithm>
#include <memory>
#include <numeric>
#include <random>
#include <sstream>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)

#include "core/error.h"
#include "metrics/disentanglement/beta_vae.h"
#include "metrics/disentanglement/dci.h"
#include "metrics/disentanglement/factor_lookup.h"
#include "metrics/disentanglement/factor_vae.h"
#include "metrics/disentanglement/mig.h"
#include "metrics/disentanglement/modularity.h"
#include "metrics/disentanglement/sap.h"

namespace latentlab::metrics {
namespace {

bool wants(const DisentangleOptions& o, const std::string& name) {
  return std::find(o.scores.begin(), o.scores.end(), name) != o.scores.end();
}

// Disjoint train and test rows; both shrink in proportion when the rows are fewer than asked for.
std::pair<at::Tensor, at::Tensor> split_rows(int64_t rows, const DisentangleOptions& o) {
  int64_t train = o.num_train, test = o.num_test;
  if (train + test > rows) {
    train = std::max<int64_t>(2, rows * o.num_train / (o.num_train + o.num_test));
    test = rows - train;
  }
  if (test < 1) fail("store", "{} rows are too few for a train/test split", rows);
  std::vector<int64_t> order(rows);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(o.seed);
  std::shuffle(order.begin(), order.end(), rng);
  return {at::tensor(std::vector<int64_t>(order.begin(), order.begin() + train), at::kLong),
          at::tensor(std::vector<int64_t>(order.begin() + train, order.begin() + train + test), at::kLong)};
}

}  // namespace

const std::vector<std::string>& disentanglement_score_names() {
  static const std::vector<std::string> names = {"mig",        "sap",          "dci",      "dci-gbt",
                                                 "modularity", "explicitness", "beta-vae", "factor-vae"};
  return names;
}

std::vector<std::string> parse_score_list(const std::string& text, const std::string& subject) {
  const auto& known = disentanglement_score_names();
  if (text == "all") return known;
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string name; std::getline(in, name, ',');) {
    if (std::find(known.begin(), known.end(), name) == known.end())
      fail_usage(subject, "unknown score '{}' (known: all, {})", name, fmt::join(known, ", "));
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  if (out.empty()) fail_usage(subject, "no score named (known: all, {})", fmt::join(known, ", "));
  return out;
}

DisentangleReport run_disentanglement(const at::Tensor& codes, const at::Tensor& factors,
                                      const std::vector<std::string>& factor_names, const DisentangleOptions& o) {
  LATENTLAB_ASSERT(codes.dim() == 2 && factors.dim() == 2 && codes.size(0) == factors.size(0), "input shapes");
  DisentangleReport report;
  auto& results = report.results;
  const auto [train, test] = split_rows(codes.size(0), o);
  const auto z_train = codes.index_select(0, train), z_test = codes.index_select(0, test);
  const auto f_train = factors.index_select(0, train), f_test = factors.index_select(0, test);
  auto add = [&](const std::string& score, const std::string& key, double value, nlohmann::json result) {
    report.headline.push_back({score, key, value});
    results[score] = std::move(result);
  };
  if (wants(o, "mig")) {
    const auto r = compute_mig(z_train, f_train);
    add("mig", "mig", r.mig, r.to_json());
  }
  if (wants(o, "sap")) {
    const auto r = compute_sap(z_train, f_train, z_test, f_test);
    add("sap", "sap", r.sap, r.to_json());
  }
  for (const std::string importance : {"lasso", "gbt"}) {
    const std::string score = importance == "lasso" ? "dci" : "dci-gbt";
    if (!wants(o, score)) continue;
    DciOptions dci;
    dci.importance = importance;
    dci.gbt.seed = o.seed;
    const auto r = compute_dci(z_train, f_train, z_test, f_test, dci);
    add(score, "disentanglement", r.disentanglement, r.to_json());
    report.headline.push_back({score, "completeness", r.completeness});
    report.headline.push_back(
        {score, "informativeness_test (" + r.informativeness_measure + ")", r.informativeness_test});
  }
  if (wants(o, "modularity") || wants(o, "explicitness")) {
    const auto r = compute_modularity_explicitness(z_train, f_train, z_test, f_test);
    if (wants(o, "modularity")) add("modularity", "modularity", r.modularity, r.to_json());
    if (wants(o, "explicitness")) add("explicitness", "explicitness_test", r.explicitness_test, r.to_json());
  }

  nlohmann::json lookup_protocol;
  if (wants(o, "beta-vae") || wants(o, "factor-vae")) {
    auto lookup = std::make_shared<const FactorLookup>(factors, "store factors");
    auto counters = std::make_shared<LookupCounters>();
    const auto& sizes = lookup->factor_sizes();
    if (wants(o, "beta-vae")) {
      BetaVaeOptions b;
      b.batch_size = o.batch_size, b.num_train = o.num_train, b.num_eval = o.num_test, b.seed = o.seed;
      const auto represent =
          lookup_represent(lookup, codes, RequestLayout::BetaVaePairs, o.batch_size, o.seed + 1, counters);
      const auto r = compute_beta_vae_score(sizes, represent, b);
      add("beta-vae", "eval_accuracy", r.eval_accuracy, r.to_json());
    }
    if (wants(o, "factor-vae")) {
      FactorVaeOptions f;
      f.batch_size = o.batch_size, f.num_train = o.num_train, f.num_eval = o.num_test, f.seed = o.seed;
      f.num_variance_estimate = o.num_variance_estimate, f.dlib_index_quirk = o.factor_vae_dlib_index;
      const auto represent =
          lookup_represent(lookup, codes, RequestLayout::FactorVaeGroups, o.batch_size, o.seed + 2, counters);
      const auto r = compute_factor_vae_score(sizes, represent, f);
      add("factor-vae", "eval_accuracy", r.eval_accuracy, r.to_json());
      // No code above the prune threshold scores 0 (dlib): say so next to the number.
      report.headline.push_back(
          {"factor-vae", "active codes (std >= prune threshold)", static_cast<double>(r.num_active_dims)});
    }
    lookup_protocol = {
        {"mode", lookup->full_product() ? "exact" : "shared"},
        {"definition", lookup->full_product()
                           ? "stored rows hold the full factor product: each requested factor vector is a stored row "
                             "with exactly those factors"
                           : "each requested observation is a stored row sharing the factor values its group holds "
                             "fixed; its other factors follow the stored rows"},
        {"factor_sizes", sizes},
        {"factor_values", lookup->factor_values()},
        {"requests", counters->requests},
        {"relaxed_requests", counters->relaxed}};
  }
  report.protocol = {{"seed", o.seed},
                     {"rng", "std::mt19937_64"},
                     {"rows", codes.size(0)},
                     {"codes", codes.size(1)},
                     {"factors", factor_names},
                     {"num_train", train.size(0)},
                     {"num_test", test.size(0)},
                     {"split", "disjoint random rows of the store"},
                     {"interventional_points", {{"num_train", o.num_train}, {"num_eval", o.num_test}}},
                     {"batch_size", o.batch_size},
                     {"scores", o.scores}};
  if (!lookup_protocol.is_null()) report.protocol["factor_lookup"] = lookup_protocol;
  return report;
}

}  // namespace latentlab::metrics
