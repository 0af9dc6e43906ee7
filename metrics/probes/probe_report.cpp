#include "metrics/probes/probe_report.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)

#include "core/error.h"
#include "core/log.h"
#include "metrics/probes/standardize.h"

namespace latentlab::metrics {
namespace {

struct TargetPlan {
  bool labels = false;
  std::vector<int64_t> binary_columns, factor_columns;
};

bool is_binary_column(const at::Tensor& attributes, int64_t column) {
  const auto c = attributes.select(1, column);
  return ((c == 0) | (c == 1)).all().item<bool>();
}

bool labels_usable(const ProbeData& d) {
  if (!d.labels.defined()) return false;
  const auto known = d.labels.masked_select(d.labels >= 0);
  return known.numel() > 0 && std::get<0>(at::_unique(known)).numel() >= 2;
}

TargetPlan plan_targets(const ProbeData& d, const std::vector<std::string>& targets) {
  TargetPlan plan;
  const int64_t columns = d.attributes.defined() ? d.attributes.size(1) : 0;
  auto add_column = [&](int64_t c) {
    auto& list = is_binary_column(d.attributes, c) ? plan.binary_columns : plan.factor_columns;
    if (std::find(list.begin(), list.end(), c) == list.end()) list.push_back(c);
  };
  for (const auto& t : targets) {
    if (t == "auto") {
      plan.labels = labels_usable(d);
      for (int64_t c = 0; c < columns; ++c) {
        if (std::get<0>(at::_unique(d.attributes.select(1, c))).numel() < 2) {
          log::warn("attribute '{}' has one value only: not probed", d.attribute_names[c]);
          continue;
        }
        add_column(c);
      }
    } else if (t == "labels") {
      if (!d.labels.defined()) fail_usage("--targets", "labels: the input has no labels");
      if (!labels_usable(d)) fail_usage("--targets", "labels: the input has fewer than 2 classes");
      plan.labels = true;
    } else if (t == "attributes" || t == "factors") {
      if (!columns) fail_usage("--targets", "{}: the input has no attributes", t);
      for (int64_t c = 0; c < columns; ++c) {
        if (t == "attributes" && !is_binary_column(d.attributes, c))
          fail_usage("--targets", "attributes: column '{}' is not 0/1 (probe it with --targets factors)",
                     d.attribute_names[c]);
        auto& list = t == "attributes" ? plan.binary_columns : plan.factor_columns;
        if (std::find(list.begin(), list.end(), c) == list.end()) list.push_back(c);
      }
    } else {
      const auto it = std::find(d.attribute_names.begin(), d.attribute_names.end(), t);
      if (it == d.attribute_names.end())
        fail_usage("--targets", "'{}' is not labels, attributes, factors, auto or an attribute name (names: {})", t,
                   fmt::join(d.attribute_names, ", "));
      add_column(it - d.attribute_names.begin());
    }
  }
  if (!plan.labels && plan.binary_columns.empty() && plan.factor_columns.empty())
    fail_usage("--targets", "nothing to probe (no labels with 2+ classes and no attributes)");
  return plan;
}

struct Splits {
  at::Tensor train, validation, test;  // row index tensors
};

at::Tensor rows_of(const at::Tensor& t, const at::Tensor& rows) {
  return t.index_select(0, rows);
}

std::vector<int64_t> as_vector(const at::Tensor& t) {
  const auto c = t.to(at::kCPU, at::kLong).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

double ratio(double linear, double mlp) {
  return mlp > 0 ? linear / mlp : std::nan("");
}

struct SplitFeatures {
  at::Tensor train, validation, test;              // raw, on the device
  at::Tensor train_std, validation_std, test_std;  // standardised with training statistics (the MLP's input)
};

// One multinomial target (labels or a factor): rows with `y` < 0 are left out of every split.
nlohmann::json probe_classes(const std::string& name, const SplitFeatures& f, const at::Tensor& y_all, const Splits& s,
                             const ProbeRunOptions& o, std::string& table) {
  auto keep = [&](const at::Tensor& rows) { return rows.masked_select(y_all.index_select(0, rows) >= 0); };
  const auto tr = keep(s.train), va = keep(s.validation), te = keep(s.test);
  if (tr.numel() == 0 || te.numel() == 0) fail(name, "has no labelled training or test rows");
  // Positions of the kept rows inside each split's feature block.
  auto local = [&](const at::Tensor& split_rows, const at::Tensor& kept) {
    return at::searchsorted(split_rows, kept).to(f.train.device());
  };
  const auto lt = local(s.train, tr), lv = local(s.validation, va), le = local(s.test, te);
  const auto y_train = y_all.index_select(0, tr), y_test = y_all.index_select(0, te);
  const int64_t train_classes = std::get<0>(at::_unique(y_train)).numel();
  if (train_classes < 2) fail(name, "has {} value(s) in the training split; a probe needs at least 2", train_classes);
  log::info("probe {}: multinomial logistic regression on {} x {} ({} classes)", name, tr.numel(), f.train.size(1),
            train_classes);
  const auto linear = fit_class_probe(rows_of(f.train, lt), y_train, rows_of(f.test, le), y_test, o.linear);
  nlohmann::json j{{"linear", linear.to_json()}};
  std::string line =
      fmt::format("{:<24} linear  acc {:.4f}  top-{} {:.4f}  macro-F1 {:.4f}  bal-acc {:.4f}  C {:.3g}", name,
                  linear.test.accuracy, linear.test.top_k.back(), linear.test.top_k_accuracy.back(),
                  linear.test.macro_f1, linear.test.balanced_accuracy, linear.c);
  if (o.mlp) {
    const auto classes = sorted_classes(as_vector(y_train));
    auto ids = [&](const at::Tensor& y) {
      const auto d = dense_class_ids(as_vector(y), classes);
      return at::tensor(std::vector<int64_t>(d.begin(), d.end()), at::kLong);
    };
    const auto id_val = ids(y_all.index_select(0, va));
    const auto known_val = (id_val >= 0).nonzero().squeeze(1);  // classes unseen in training cannot be scored
    log::info("probe {}: MLP ({} hidden units)", name, o.mlp_options.hidden);
    const auto model = fit_mlp_classifier(rows_of(f.train_std, lt), ids(y_train), static_cast<int64_t>(classes.size()),
                                          rows_of(f.validation_std, lv.index_select(0, known_val.to(lv.device()))),
                                          id_val.index_select(0, known_val), o.mlp_options);
    const auto d_test = dense_class_ids(as_vector(y_test), classes);
    const auto scores = multiclass_scores(model.probabilities(rows_of(f.test_std, le)), d_test, o.linear.top_k);
    const double r = ratio(linear.test.accuracy, scores.accuracy);
    j["mlp"] = {{"test", multiclass_scores_json(scores)}, {"fit", model.to_json()}};
    j["linear_mlp_ratio"] = score_json(r);
    line +=
        fmt::format("\n{:<24} mlp     acc {:.4f}  top-{} {:.4f}  macro-F1 {:.4f}  bal-acc {:.4f}  linear/MLP {:.3f}",
                    "", scores.accuracy, scores.top_k.back(), scores.top_k_accuracy.back(), scores.macro_f1,
                    scores.balanced_accuracy, r);
  }
  table += line + "\n";
  return j;
}

at::Tensor binary_targets(const at::Tensor& attributes, const std::vector<int64_t>& columns, const at::Tensor& rows) {
  return attributes.index_select(1, at::tensor(columns, at::kLong)).index_select(0, rows);
}

nlohmann::json probe_attributes(const ProbeData& d, const std::vector<int64_t>& columns, const SplitFeatures& f,
                                const Splits& s, const ProbeRunOptions& o, std::string& table) {
  std::vector<std::string> names;
  for (int64_t c : columns) names.push_back(d.attribute_names[c]);
  const auto t_train = binary_targets(d.attributes, columns, s.train);
  const auto t_test = binary_targets(d.attributes, columns, s.test);
  log::info("probe attributes: {} logistic heads on {} x {}", columns.size(), t_train.size(0), f.train.size(1));
  auto linear = fit_attribute_probe(f.train, t_train, f.test, t_test, o.linear);
  linear.names = names;
  nlohmann::json j{{"linear", linear.to_json()}};
  AttributeProbeResult mlp;
  if (o.mlp) {
    log::info("probe attributes: MLP ({} hidden units, {} sigmoid outputs)", o.mlp_options.hidden, columns.size());
    const auto t_val = binary_targets(d.attributes, columns, s.validation);
    const auto model = fit_mlp_binary_heads(f.train_std, t_train, f.validation_std, t_val, o.mlp_options);
    const auto p_val = model.probabilities(f.validation_std), t_val_d = t_val.to(at::kDouble).contiguous();
    std::vector<double> thresholds;
    for (size_t h = 0; h < columns.size(); ++h) {
      const auto score = p_val.select(1, static_cast<int64_t>(h)).contiguous();
      const auto truth = t_val.select(1, static_cast<int64_t>(h)).to(at::kByte).contiguous();
      thresholds.push_back(best_f1_threshold({score.data_ptr<double>(), score.data_ptr<double>() + score.numel()},
                                             {truth.data_ptr<uint8_t>(), truth.data_ptr<uint8_t>() + truth.numel()}));
    }
    mlp = score_attribute_probe(model.probabilities(f.test_std), t_test.to(at::kDouble).contiguous(), thresholds,
                                std::vector<double>(columns.size(), 0.0), o.linear.top_k);
    mlp.names = names;
    mlp.num_train = t_train.size(0);
    mlp.num_features = f.train.size(1);
    auto mj = mlp.to_json();
    mj.erase("converged");
    for (auto& row : mj["attributes"]) row.erase("c");
    mj["protocol"] = {{"probe", "MLP, one shared hidden layer, one sigmoid output per attribute"},
                      {"tuned_thresholds", "maximise F1 on the validation split"},
                      {"fit", model.to_json()}};
    j["mlp"] = mj;
    nlohmann::json separability = nlohmann::json::array();
    for (size_t h = 0; h < columns.size(); ++h) {
      const double lin = linear.attributes[h].balanced_accuracy, nonlin = mlp.attributes[h].balanced_accuracy;
      separability.push_back({{"name", names[h]},
                              {"linear_balanced_accuracy", score_json(lin)},
                              {"mlp_balanced_accuracy", score_json(nonlin)},
                              {"linear_mlp_ratio", score_json(ratio(lin, nonlin))}});
    }
    j["separability"] = separability;
  }
  table += fmt::format("{:<24} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>9}", "attribute", "C", "acc", "bal-acc", "F1",
                       "F1-tune", "AP", o.mlp ? "MLP b-acc" : "");
  table += o.mlp ? "  linear/MLP\n" : "\n";
  for (size_t h = 0; h < columns.size(); ++h) {
    const auto& a = linear.attributes[h];
    table += fmt::format("{:<24} {:>7.2g} {:>7.4f} {:>7.4f} {:>7.4f} {:>7.4f} {:>7.4f}", names[h].substr(0, 24), a.c,
                         a.accuracy, a.balanced_accuracy, a.f1, a.f1_tuned, a.average_precision);
    if (o.mlp)
      table += fmt::format(" {:>9.4f}  {:>10.3f}", mlp.attributes[h].balanced_accuracy,
                           ratio(a.balanced_accuracy, mlp.attributes[h].balanced_accuracy));
    table += "\n";
  }
  table += fmt::format(
      "attributes (linear)      macro-F1 {:.4f} (tuned {:.4f})  micro-F1 {:.4f} (tuned {:.4f})  mAP "
      "{:.4f}  mean bal-acc {:.4f}\n",
      linear.macro_f1, linear.macro_f1_tuned, linear.micro_f1, linear.micro_f1_tuned, linear.mean_average_precision,
      linear.mean_balanced_accuracy);
  if (o.mlp)
    table += fmt::format(
        "attributes (MLP)         macro-F1 {:.4f} (tuned {:.4f})  micro-F1 {:.4f} (tuned {:.4f})  mAP "
        "{:.4f}  mean bal-acc {:.4f}\n",
        mlp.macro_f1, mlp.macro_f1_tuned, mlp.micro_f1, mlp.micro_f1_tuned, mlp.mean_average_precision,
        mlp.mean_balanced_accuracy);
  return j;
}

}  // namespace

ProbeReport run_probes(const ProbeData& data, const ProbeSplits& splits, const ProbeRunOptions& o) {
  const auto plan = plan_targets(data, o.targets);
  if (o.mlp && splits.validation.empty()) fail("validation split", "is empty; the MLP probe stops early on it");
  const at::Device device(o.device);
  Splits s{at::tensor(splits.train, at::kLong), at::tensor(splits.validation, at::kLong),
           at::tensor(splits.test, at::kLong)};
  SplitFeatures f;
  f.train = rows_of(data.features, s.train).to(device);
  f.validation = rows_of(data.features, s.validation).to(device);
  f.test = rows_of(data.features, s.test).to(device);
  if (o.mlp) {
    const auto scaler = fit_standardizer(f.train);
    f.train_std = scaler.apply(f.train).to(at::kFloat), f.test_std = scaler.apply(f.test).to(at::kFloat);
    f.validation_std = scaler.apply(f.validation).to(at::kFloat);
  }
  ProbeReport report;
  std::string& table = report.table;
  if (plan.labels) report.results["labels"] = probe_classes("labels", f, data.labels, s, o, table);
  if (!plan.binary_columns.empty())
    report.results["attributes"] = probe_attributes(data, plan.binary_columns, f, s, o, table);
  for (int64_t c : plan.factor_columns)
    report.results["factors"][data.attribute_names[c]] =
        probe_classes("factor " + data.attribute_names[c], f, data.attributes.select(1, c).contiguous(), s, o, table);

  std::vector<std::string> factor_names;
  for (int64_t c : plan.factor_columns) factor_names.push_back(data.attribute_names[c]);
  nlohmann::json targets{{"labels", plan.labels}, {"attributes", nlohmann::json::array()}, {"factors", factor_names}};
  for (int64_t c : plan.binary_columns) targets["attributes"].push_back(data.attribute_names[c]);
  report.protocol = {
      {"probe", "latentlab probe"},
      {"split", splits.to_json()},
      {"standardisation", "training split mean/std (ddof 0), refitted inside each CV fold"},
      {"linear",
       {{"solver", "L2 logistic regression (sklearn objective), float64, own L-BFGS to gradient tolerance"},
        {"c_selection",
         o.linear.fixed_c > 0 ? "fixed" : "k-fold CV accuracy on the training split, smallest C on ties"},
        {"c_grid", o.linear.fixed_c > 0 ? std::vector<double>{o.linear.fixed_c} : o.linear.grid()},
        {"folds", o.linear.fixed_c > 0 ? 0 : o.linear.folds},
        {"seed", o.linear.seed},
        {"gradient_tolerance", o.linear.fit.gradient_tolerance},
        {"top_k", o.linear.top_k},
        {"tuned_thresholds", "maximise F1 on out-of-fold training predictions at the chosen C"}}},
      {"targets", targets},
      {"device", o.device}};
  if (o.mlp) {
    report.protocol["mlp"] = o.mlp_options.to_json();
    report.protocol["mlp"]["tuned_thresholds"] = "maximise F1 on the validation split";
    report.protocol["separability"] =
        "linear/MLP test accuracy (labels, factors), linear/MLP balanced accuracy per attribute";
  }
  return report;
}

}  // namespace latentlab::metrics
