#include "metrics/probes/linear_probe.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <utility>

#include <ATen/ATen.h>

#include "core/error.h"
#include "metrics/probes/standardize.h"

namespace latentlab::metrics {
namespace {

at::Tensor feature_matrix(const at::Tensor& f, const std::string& subject) {
  if (!f.defined() || f.dim() != 2) fail(subject, "features must be a 2-D (examples, features) matrix");
  if (f.size(0) < 1 || f.size(1) < 1) fail(subject, "features are empty");
  auto x = f.to(at::kDouble).contiguous();
  if (!at::isfinite(x).all().item<bool>()) fail(subject, "features contain NaN or infinite values");
  return x;
}

std::vector<int64_t> integer_vector(const at::Tensor& t, int64_t rows, const std::string& subject) {
  if (!t.defined() || t.dim() != 1) fail(subject, "labels must be a 1-D vector");
  if (!at::isIntegralType(t.scalar_type(), false)) fail(subject, "labels must be integers");
  if (t.size(0) != rows) fail(subject, "has {} labels for {} feature rows", t.size(0), rows);
  const auto c = t.to(at::kCPU, at::kLong).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + rows);
}

at::Tensor attribute_matrix(const at::Tensor& t, int64_t rows, const std::string& subject) {
  if (!t.defined() || t.dim() != 2) fail(subject, "attributes must be a 2-D (examples, attributes) matrix");
  if (t.size(0) != rows) fail(subject, "has {} rows for {} feature rows", t.size(0), rows);
  if (!at::isIntegralType(t.scalar_type(), true)) fail(subject, "attributes must be 0/1 integers");
  const auto a = t.to(at::kCPU, at::kLong);
  if (!((a == 0) | (a == 1)).all().item<bool>()) fail(subject, "attributes must be 0 or 1");
  return a.to(at::kDouble).contiguous();
}

std::vector<double> column(const at::Tensor& m, int64_t k) {  // CPU float64 contiguous (N, C)
  const int64_t n = m.size(0), c = m.size(1);
  const double* p = m.data_ptr<double>();
  std::vector<double> out(n);
  for (int64_t i = 0; i < n; ++i) out[i] = p[i * c + k];
  return out;
}

at::Tensor index_tensor(const std::vector<int64_t>& idx, const at::Device& device) {
  return at::tensor(idx, at::kLong).to(device);
}

at::Tensor cpu(const at::Tensor& t) {
  return t.to(at::kCPU, at::kDouble).contiguous();
}

}  // namespace

std::vector<double> ProbeOptions::grid() const {
  if (!c_grid.empty()) return c_grid;
  std::vector<double> g(10);
  for (int i = 0; i < 10; ++i) g[i] = std::pow(10.0, -4.0 + 8.0 * i / 9.0);  // np.logspace(-4, 4, 10)
  return g;
}

std::vector<int> kfold_assignment(int64_t n, int folds, uint64_t seed) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<int> fold(n);
  int64_t start = 0;
  for (int f = 0; f < folds; ++f) {
    const int64_t size = n / folds + (f < n % folds ? 1 : 0);
    for (int64_t i = start; i < start + size; ++i) fold[order[i]] = f;
    start += size;
  }
  return fold;
}

namespace {

void check_options(const ProbeOptions& o, int64_t n) {
  if (o.fixed_c < 0) fail_usage("c", "must be positive, got {}", o.fixed_c);
  if (o.fixed_c == 0) {
    if (o.folds < 2) fail_usage("folds", "cross-validation needs at least 2 folds, got {}", o.folds);
    if (o.folds > n) fail_usage("folds", "{} folds for {} training examples", o.folds, n);
    for (double c : o.grid())
      if (!(c > 0)) fail_usage("c-grid", "values must be positive, got {}", c);
  }
  for (int k : o.top_k)
    if (k < 1) fail_usage("top-k", "must be at least 1, got {}", k);
}

// The feature matrices of both splits (same number of features), after checking the options against the
// training split.
std::pair<at::Tensor, at::Tensor> probe_features(const at::Tensor& features_train, const at::Tensor& features_test,
                                                 const ProbeOptions& options) {
  auto x_train = feature_matrix(features_train, "features (train)");
  auto x_test = feature_matrix(features_test, "features (test)");
  if (x_test.size(1) != x_train.size(1))
    fail("features (test)", "has {} features but the training split has {}", x_test.size(1), x_train.size(1));
  check_options(options, x_train.size(0));
  return {std::move(x_train), std::move(x_test)};
}

// Rows of each fold: (train indices, validation indices).
std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> fold_rows(int64_t n, int folds, uint64_t seed) {
  const auto assignment = kfold_assignment(n, folds, seed);
  std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> out(folds);
  for (int64_t i = 0; i < n; ++i)
    for (int f = 0; f < folds; ++f) (assignment[i] == f ? out[f].second : out[f].first).push_back(i);
  return out;
}

}  // namespace

ClassProbeResult fit_class_probe(const at::Tensor& features_train, const at::Tensor& labels_train,
                                 const at::Tensor& features_test, const at::Tensor& labels_test,
                                 const ProbeOptions& options) {
  const auto [x_train, x_test] = probe_features(features_train, features_test, options);
  const auto raw_train = integer_vector(labels_train, x_train.size(0), "labels (train)");
  const auto raw_test = integer_vector(labels_test, x_test.size(0), "labels (test)");
  const auto classes = sorted_classes(raw_train);
  if (classes.size() < 2) fail("labels (train)", "needs at least 2 classes, got {}", classes.size());
  const auto ids_train = dense_class_ids(raw_train, classes), ids_test = dense_class_ids(raw_test, classes);
  const int64_t num_classes = static_cast<int64_t>(classes.size());
  const auto device = x_train.device();
  const auto y_train = at::tensor(std::vector<int64_t>(ids_train.begin(), ids_train.end()), at::kLong).to(device);

  ClassProbeResult r;
  r.options = options;
  r.num_train = x_train.size(0);
  r.num_test = x_test.size(0);
  r.num_features = x_train.size(1);
  r.num_classes = num_classes;
  r.c = options.fixed_c;
  if (options.fixed_c == 0) {
    const auto grid = options.grid();
    std::vector<int64_t> correct(grid.size(), 0);
    for (const auto& [train_rows, val_rows] : fold_rows(r.num_train, options.folds, options.seed)) {
      const auto ti = index_tensor(train_rows, device), vi = index_tensor(val_rows, device);
      const auto xt = x_train.index_select(0, ti), xv = x_train.index_select(0, vi);
      const auto scaler = fit_standardizer(xt);
      const auto st = scaler.apply(xt), sv = scaler.apply(xv);
      const auto yt = y_train.index_select(0, ti), yv = y_train.index_select(0, vi);
      LogisticModel previous;
      for (size_t g = 0; g < grid.size(); ++g) {
        previous = fit_multinomial_logistic(st, yt, num_classes, grid[g], options.fit, g ? &previous : nullptr);
        correct[g] += (previous.predict(sv) == yv).sum().item<int64_t>();
      }
    }
    size_t best = 0;
    for (size_t g = 0; g < grid.size(); ++g) {
      r.cv_accuracy.push_back(static_cast<double>(correct[g]) / r.num_train);
      if (correct[g] > correct[best]) best = g;
    }
    r.c = grid[best];
  }
  const auto scaler = fit_standardizer(x_train);
  const auto st = scaler.apply(x_train), sv = scaler.apply(x_test);
  const auto model = fit_multinomial_logistic(st, y_train, num_classes, r.c, options.fit);
  r.converged = model.converged;
  r.train = multiclass_scores(cpu(model.decision(st)), ids_train, options.top_k);
  r.test = multiclass_scores(cpu(model.decision(sv)), ids_test, options.top_k);
  return r;
}

AttributeProbeResult fit_attribute_probe(const at::Tensor& features_train, const at::Tensor& attributes_train,
                                         const at::Tensor& features_test, const at::Tensor& attributes_test,
                                         const ProbeOptions& options) {
  const auto [x_train, x_test] = probe_features(features_train, features_test, options);
  const auto t_train = attribute_matrix(attributes_train, x_train.size(0), "attributes (train)");
  const auto t_test = attribute_matrix(attributes_test, x_test.size(0), "attributes (test)");
  if (t_test.size(1) != t_train.size(1))
    fail("attributes (test)", "has {} attributes but the training split has {}", t_test.size(1), t_train.size(1));
  const int64_t n = x_train.size(0), a = t_train.size(1);
  const auto device = x_train.device();
  const auto t_train_dev = t_train.to(device);

  std::vector<double> head_c(a, options.fixed_c);
  at::Tensor threshold_scores;  // (N, A) CPU: held-out (or training) probabilities for threshold tuning
  if (options.fixed_c == 0) {
    const auto grid = options.grid();
    std::vector<at::Tensor> oof(grid.size());
    for (auto& o : oof) o = at::zeros({n, a}, at::kDouble);
    at::Tensor correct = at::zeros({static_cast<int64_t>(grid.size()), a}, at::kLong);
    for (const auto& [train_rows, val_rows] : fold_rows(n, options.folds, options.seed)) {
      const auto ti = index_tensor(train_rows, device), vi = index_tensor(val_rows, device);
      const auto xt = x_train.index_select(0, ti), xv = x_train.index_select(0, vi);
      const auto scaler = fit_standardizer(xt);
      const auto st = scaler.apply(xt), sv = scaler.apply(xv);
      const auto yt = t_train_dev.index_select(0, ti), yv = t_train_dev.index_select(0, vi);
      const auto vi_cpu = at::tensor(val_rows, at::kLong);
      LogisticModel previous;
      for (size_t g = 0; g < grid.size(); ++g) {
        previous =
            fit_binary_logistic_heads(st, yt, std::vector<double>(a, grid[g]), options.fit, g ? &previous : nullptr);
        const auto p = previous.probabilities(sv);
        correct[g] += ((p >= 0.5).to(at::kDouble) == yv).sum(0).cpu();
        oof[g].index_copy_(0, vi_cpu, cpu(p));
      }
    }
    const auto best = correct.argmax(0);  // first maximum: the smallest C on ties
    threshold_scores = at::empty({n, a}, at::kDouble);
    for (int64_t h = 0; h < a; ++h) {
      const int64_t g = best[h].item<int64_t>();
      head_c[h] = grid[g];
      threshold_scores.select(1, h).copy_(oof[g].select(1, h));
    }
  }
  const auto scaler = fit_standardizer(x_train);
  const auto st = scaler.apply(x_train), sv = scaler.apply(x_test);
  const auto model = fit_binary_logistic_heads(st, t_train_dev, head_c, options.fit);
  if (!threshold_scores.defined()) threshold_scores = cpu(model.probabilities(st));
  threshold_scores = threshold_scores.contiguous();
  const auto p_test = cpu(model.probabilities(sv));
  std::vector<double> thresholds(a);
  for (int64_t h = 0; h < a; ++h) {
    const auto truth_d = column(t_train, h);
    thresholds[h] =
        best_f1_threshold(column(threshold_scores, h), std::vector<uint8_t>(truth_d.begin(), truth_d.end()));
  }
  auto r = score_attribute_probe(p_test, t_test, thresholds, head_c, options.top_k);
  r.options = options;
  r.num_train = n;
  r.num_features = x_train.size(1);
  r.converged = model.converged;
  return r;
}

AttributeProbeResult score_attribute_probe(const at::Tensor& p_test, const at::Tensor& t_test,
                                           const std::vector<double>& thresholds, const std::vector<double>& head_c,
                                           const std::vector<int>& top_k) {
  const int64_t a = p_test.size(1);
  LATENTLAB_ASSERT(t_test.sizes() == p_test.sizes() && static_cast<int64_t>(thresholds.size()) == a &&
                       static_cast<int64_t>(head_c.size()) == a,
                   "attribute scores: shapes differ");
  AttributeProbeResult r;
  r.num_test = p_test.size(0);
  r.attributes.resize(a);

  BinaryCounts pooled, pooled_tuned;
  double f1_sum = 0, f1_tuned_sum = 0, ap_sum = 0, balanced_sum = 0, accuracy_sum = 0;
  int ap_count = 0, balanced_count = 0;
  for (int64_t h = 0; h < a; ++h) {
    auto& s = r.attributes[h];
    s.c = head_c[h];
    s.threshold = thresholds[h];
    const auto score = column(p_test, h);
    const auto truth_d = column(t_test, h);
    std::vector<uint8_t> truth(truth_d.begin(), truth_d.end());
    const auto counts = binary_counts(score, truth, 0.5), tuned = binary_counts(score, truth, s.threshold);
    s.accuracy = counts.accuracy();
    s.balanced_accuracy = counts.balanced_accuracy();
    s.f1 = counts.f1();
    s.f1_tuned = tuned.f1();
    s.average_precision = average_precision(score, truth);
    s.roc_auc = roc_auc(score, truth);
    s.positive_rate = static_cast<double>(counts.tp + counts.fn) / std::max<int64_t>(1, r.num_test);
    pooled.tp += counts.tp, pooled.fp += counts.fp, pooled.fn += counts.fn;
    pooled_tuned.tp += tuned.tp, pooled_tuned.fp += tuned.fp, pooled_tuned.fn += tuned.fn;
    f1_sum += s.f1;
    f1_tuned_sum += s.f1_tuned;
    accuracy_sum += s.accuracy;
    if (!std::isnan(s.average_precision)) ap_sum += s.average_precision, ++ap_count;
    if (!std::isnan(s.balanced_accuracy)) balanced_sum += s.balanced_accuracy, ++balanced_count;
  }
  r.macro_f1 = f1_sum / a;
  r.macro_f1_tuned = f1_tuned_sum / a;
  r.micro_f1 = pooled.f1();
  r.micro_f1_tuned = pooled_tuned.f1();
  r.mean_accuracy = accuracy_sum / a;
  r.mean_average_precision = ap_count ? ap_sum / ap_count : std::nan("");
  r.mean_balanced_accuracy = balanced_count ? balanced_sum / balanced_count : std::nan("");
  // Top-k recall: rows with at least one positive attribute.
  r.top_k = top_k;
  const double* pp = p_test.data_ptr<double>();
  const double* tt = t_test.data_ptr<double>();
  for (int k : top_k) {
    double sum = 0;
    int64_t rows = 0;
    std::vector<int64_t> order(a);
    for (int64_t i = 0; i < r.num_test; ++i) {
      int64_t positives = 0;
      for (int64_t h = 0; h < a; ++h) positives += tt[i * a + h] > 0.5;
      if (!positives) continue;
      std::iota(order.begin(), order.end(), 0);
      const int64_t kk = std::min<int64_t>(k, a);
      std::partial_sort(order.begin(), order.begin() + kk, order.end(), [&](int64_t x, int64_t y) {
        return pp[i * a + x] > pp[i * a + y] || (pp[i * a + x] == pp[i * a + y] && x < y);
      });
      int64_t hit = 0;
      for (int64_t t = 0; t < kk; ++t) hit += tt[i * a + order[t]] > 0.5;
      sum += static_cast<double>(hit) / positives;
      ++rows;
    }
    r.top_k_recall.push_back(rows ? sum / rows : std::nan(""));
  }
  return r;
}

std::vector<int64_t> sorted_classes(const std::vector<int64_t>& labels) {
  std::vector<int64_t> classes = labels;
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  return classes;
}

std::vector<int32_t> dense_class_ids(const std::vector<int64_t>& labels, const std::vector<int64_t>& classes) {
  std::vector<int32_t> ids(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto it = std::lower_bound(classes.begin(), classes.end(), labels[i]);
    ids[i] = (it != classes.end() && *it == labels[i]) ? static_cast<int32_t>(it - classes.begin()) : -1;
  }
  return ids;
}

nlohmann::json score_json(double v) {
  return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
}

namespace {
nlohmann::json probe_protocol(const ProbeOptions& o, int64_t train, int64_t test, int64_t features) {
  return {{"classifier", "L2 logistic regression (sklearn objective), float64, L-BFGS to convergence"},
          {"standardisation", "training mean/std (ddof 0), refitted inside each fold"},
          {"c_selection", o.fixed_c > 0 ? "fixed" : "k-fold cross-validated accuracy, smallest C on ties"},
          {"c_grid", o.fixed_c > 0 ? std::vector<double>{o.fixed_c} : o.grid()},
          {"folds", o.fixed_c > 0 ? 0 : o.folds},
          {"seed", o.seed},
          {"gradient_tolerance", o.fit.gradient_tolerance},
          {"max_iterations", o.fit.max_iterations},
          {"num_train", train},
          {"num_test", test},
          {"num_features", features}};
}
}  // namespace

nlohmann::json multiclass_scores_json(const MulticlassScores& s) {
  nlohmann::json top = nlohmann::json::object();
  for (size_t t = 0; t < s.top_k.size(); ++t)
    top["top_" + std::to_string(s.top_k[t])] = score_json(s.top_k_accuracy[t]);
  return nlohmann::json{{"accuracy", score_json(s.accuracy)},
                        {"top_k_accuracy", top},
                        {"macro_f1", s.macro_f1},
                        {"micro_f1", score_json(s.micro_f1)},
                        {"balanced_accuracy", score_json(s.balanced_accuracy)}};
}

nlohmann::json ClassProbeResult::to_json() const {
  auto protocol = probe_protocol(options, num_train, num_test, num_features);
  protocol["num_classes"] = num_classes;
  protocol["probe"] = "multinomial logistic regression";
  return {{"c", c},
          {"cv_accuracy", cv_accuracy},
          {"converged", converged},
          {"train", multiclass_scores_json(train)},
          {"test", multiclass_scores_json(test)},
          {"protocol", protocol}};
}

nlohmann::json AttributeProbeResult::to_json() const {
  nlohmann::json table = nlohmann::json::array();
  for (size_t h = 0; h < attributes.size(); ++h) {
    const auto& s = attributes[h];
    table.push_back({{"name", h < names.size() ? names[h] : std::to_string(h)},
                     {"c", s.c},
                     {"threshold", s.threshold},
                     {"accuracy", score_json(s.accuracy)},
                     {"balanced_accuracy", score_json(s.balanced_accuracy)},
                     {"f1", s.f1},
                     {"f1_tuned", s.f1_tuned},
                     {"average_precision", score_json(s.average_precision)},
                     {"roc_auc", score_json(s.roc_auc)},
                     {"positive_rate", s.positive_rate}});
  }
  nlohmann::json top = nlohmann::json::object();
  for (size_t t = 0; t < top_k.size(); ++t) top["top_" + std::to_string(top_k[t])] = score_json(top_k_recall[t]);
  auto protocol = probe_protocol(options, num_train, num_test, num_features);
  protocol["probe"] = "independent logistic heads, one per attribute, C chosen per attribute";
  protocol["tuned_thresholds"] =
      options.fixed_c > 0 ? "maximise F1 on training predictions" : "maximise F1 on out-of-fold training predictions";
  return {{"macro_f1", macro_f1},
          {"micro_f1", micro_f1},
          {"macro_f1_tuned", macro_f1_tuned},
          {"micro_f1_tuned", micro_f1_tuned},
          {"mean_average_precision", score_json(mean_average_precision)},
          {"mean_balanced_accuracy", score_json(mean_balanced_accuracy)},
          {"mean_accuracy", mean_accuracy},
          {"top_k_recall", top},
          {"converged", converged},
          {"attributes", table},
          {"protocol", protocol}};
}

}  // namespace latentlab::metrics
