#include "metrics/disentanglement/dci.h"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>

#include "core/error.h"
#include "metrics/disentanglement/codes.h"
#include "metrics/disentanglement/dci_gbt.h"
#include "metrics/disentanglement/lasso.h"
#include "metrics/probes/standardize.h"

namespace latentlab::metrics {
namespace {

// 1 - scipy.stats.entropy(p + 1e-11, base): entropy normalises its input.
double one_minus_entropy(std::vector<double> p, size_t base) {
  if (base < 2) return 1.0;
  double total = 0.0;
  for (auto& v : p) total += (v += 1e-11);
  double h = 0.0;
  for (double v : p) {
    const double q = v / total;
    if (q > 0) h -= q * std::log(q);
  }
  return 1.0 - h / std::log(static_cast<double>(base));
}

// Weights: row (axis 1) or column sums over the total; a matrix of ones when everything is zero.
std::vector<double> share(const std::vector<std::vector<double>>& r, bool rows) {
  const size_t j_count = r.size(), k_count = r[0].size();
  double total = 0.0;
  for (const auto& row : r)
    for (double v : row) total += v;
  std::vector<double> out(rows ? j_count : k_count, 0.0);
  for (size_t j = 0; j < j_count; ++j)
    for (size_t k = 0; k < k_count; ++k) out[rows ? j : k] += total > 0 ? r[j][k] / total : 1.0 / (j_count * k_count);
  return out;
}

void check_importance(const std::vector<std::vector<double>>& r) {
  LATENTLAB_ASSERT(!r.empty() && !r[0].empty(), "empty importance matrix");
  for (const auto& row : r) {
    LATENTLAB_ASSERT(row.size() == r[0].size(), "ragged importance matrix");
    for (double v : row) LATENTLAB_ASSERT(v >= 0 && std::isfinite(v), "importance must be finite and >= 0");
  }
}

// dlib's default route: importances and accuracies of one boosted-tree classifier per factor.
DciResult dci_from_gbt(const TrainTestCodes& split, const DciOptions& options) {
  const auto fit = gbt_dci_importance(split, options.gbt);
  DciResult r;
  r.options = options;
  r.num_train = split.z_train.size(0);
  r.num_test = split.z_test.size(0);
  r.informativeness_measure = "accuracy";
  r.importance = fit.importance;
  r.per_factor_informativeness_test = fit.test_accuracy;
  for (size_t k = 0; k < fit.test_accuracy.size(); ++k) {
    r.informativeness_train += fit.train_accuracy[k] / fit.test_accuracy.size();
    r.informativeness_test += fit.test_accuracy[k] / fit.test_accuracy.size();
  }
  r.disentanglement = dci_disentanglement(r.importance, &r.per_code_disentanglement);
  r.completeness = dci_completeness(r.importance, &r.per_factor_completeness);
  return r;
}

}  // namespace

double dci_disentanglement(const std::vector<std::vector<double>>& importance, std::vector<double>* per_code) {
  check_importance(importance);
  const auto weight = share(importance, true);
  double d = 0.0;
  if (per_code) per_code->clear();
  for (size_t j = 0; j < importance.size(); ++j) {
    const double dj = one_minus_entropy(importance[j], importance[j].size());
    if (per_code) per_code->push_back(dj);
    d += weight[j] * dj;
  }
  return d;
}

double dci_completeness(const std::vector<std::vector<double>>& importance, std::vector<double>* per_factor) {
  check_importance(importance);
  const auto weight = share(importance, false);
  double c = 0.0;
  if (per_factor) per_factor->clear();
  for (size_t k = 0; k < importance[0].size(); ++k) {
    std::vector<double> column;
    for (const auto& row : importance) column.push_back(row[k]);
    const double ck = one_minus_entropy(column, column.size());
    if (per_factor) per_factor->push_back(ck);
    c += weight[k] * ck;
  }
  return c;
}

DciResult compute_dci(const at::Tensor& codes_train, const at::Tensor& factors_train, const at::Tensor& codes_test,
                      const at::Tensor& factors_test, const DciOptions& options) {
  if (options.importance != "lasso" && options.importance != "gbt")
    fail_usage("importance", "unknown DCI importance '{}' (known: lasso, gbt)", options.importance);
  if (!(options.lasso_alpha > 0)) fail_usage("lasso-alpha", "must be positive, got {}", options.lasso_alpha);
  const auto split = train_test_codes(codes_train, factors_train, codes_test, factors_test);
  if (options.importance == "gbt") return dci_from_gbt(split, options);
  const auto &z_train = split.z_train, &z_test = split.z_test;
  const auto &f_train = split.f_train, &f_test = split.f_test;

  const auto scaler = fit_standardizer(z_train);
  const auto x_train = scaler.apply(z_train), x_test = scaler.apply(z_test);
  const int64_t j_count = z_train.size(1), k_count = static_cast<int64_t>(f_train.size());
  DciResult r;
  r.options = options;
  r.num_train = z_train.size(0);
  r.num_test = z_test.size(0);
  r.informativeness_measure = "nrmse";
  r.importance.assign(j_count, std::vector<double>(k_count, 0.0));
  double info_train = 0.0, info_test = 0.0;
  for (int64_t k = 0; k < k_count; ++k) {
    const auto labels = dense_labels(f_train[k]);
    // Targets: dense class ids (test values unseen in training take their rank among the training classes'
    // values, via the sorted class list), standardised with the training mean and std.
    auto as_target = [&](const std::vector<int64_t>& values) {
      std::vector<double> t(values.size());
      for (size_t i = 0; i < values.size(); ++i)
        t[i] = static_cast<double>(std::lower_bound(labels.classes.begin(), labels.classes.end(), values[i]) -
                                   labels.classes.begin());
      return t;
    };
    auto y_train = as_target(f_train[k]), y_test = as_target(f_test[k]);
    double mean = 0.0, var = 0.0;
    for (double v : y_train) mean += v;
    mean /= y_train.size();
    for (double v : y_train) var += (v - mean) * (v - mean);
    const double sd = var > 0 ? std::sqrt(var / y_train.size()) : 1.0;
    for (auto& v : y_train) v = (v - mean) / sd;
    for (auto& v : y_test) v = (v - mean) / sd;
    const auto fit = fit_lasso(x_train, y_train, options.lasso_alpha);
    for (int64_t j = 0; j < j_count; ++j) r.importance[j][k] = std::abs(fit.coef[j]);
    auto nrmse = [&](const at::Tensor& x, const std::vector<double>& y) {
      const auto w = at::tensor(fit.coef, at::kDouble);
      const auto pred = at::mv(x, w) + fit.intercept;
      const auto target = at::tensor(y, at::kDouble);
      return std::sqrt((pred - target).pow(2).mean().item<double>());
    };
    info_train += nrmse(x_train, y_train);
    r.per_factor_informativeness_test.push_back(nrmse(x_test, y_test));
    info_test += r.per_factor_informativeness_test.back();
  }
  r.informativeness_train = info_train / k_count;
  r.informativeness_test = info_test / k_count;
  r.disentanglement = dci_disentanglement(r.importance, &r.per_code_disentanglement);
  r.completeness = dci_completeness(r.importance, &r.per_factor_completeness);
  return r;
}

nlohmann::json DciResult::to_json() const {
  nlohmann::json out = {{"disentanglement", disentanglement},
                        {"completeness", completeness},
                        {"informativeness_train", informativeness_train},
                        {"informativeness_test", informativeness_test},
                        {"informativeness_measure", informativeness_measure},
                        {"importance_matrix", importance},
                        {"per_code_disentanglement", per_code_disentanglement},
                        {"per_factor_completeness", per_factor_completeness},
                        {"per_factor_informativeness_test", per_factor_informativeness_test},
                        {"protocol",
                         {{"definition", "DCI, disentanglement_lib aggregation (importance-weighted D and C)"},
                          {"importance", options.importance},
                          {"informativeness", informativeness_measure},
                          {"num_train", num_train},
                          {"num_test", num_test}}}};
  auto& protocol = out["protocol"];
  if (options.importance == "gbt") {
    protocol["model"] = "GradientBoostingClassifier per factor on raw codes (log-loss, friedman_mse)";
    protocol["gbt_stages"] = options.gbt.num_stages;
    protocol["gbt_learning_rate"] = options.gbt.learning_rate;
    protocol["gbt_max_depth"] = options.gbt.max_depth;
    protocol["gbt_seed"] = options.gbt.seed;
  } else {
    protocol["lasso_alpha"] = options.lasso_alpha;
    protocol["standardisation"] = "codes and factor ids by training mean/std (ddof 0)";
  }
  return out;
}

}  // namespace latentlab::metrics
