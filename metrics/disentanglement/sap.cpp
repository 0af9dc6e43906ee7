#include "metrics/disentanglement/sap.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "core/error.h"
#include "metrics/disentanglement/codes.h"

namespace latentlab::metrics {
namespace {

// min_{w,b} 1/2 (w^2 + b^2) + sum_i c_i max(0, 1 - y_i (w x_i + b))^2 by generalised Newton steps with an
// Armijo backtracking line search (the objective is piecewise quadratic and strictly convex).
std::pair<double, double> squared_hinge_svm(const std::vector<double>& x, const std::vector<double>& y,
                                            const std::vector<double>& c) {
  const size_t n = x.size();
  auto objective = [&](double w, double b) {
    double f = 0.5 * (w * w + b * b);
    for (size_t i = 0; i < n; ++i) {
      const double h = 1 - y[i] * (w * x[i] + b);
      if (h > 0) f += c[i] * h * h;
    }
    return f;
  };
  double w = 0.0, b = 0.0, f = objective(w, b);
  for (int iteration = 0; iteration < 100; ++iteration) {
    double gw = w, gb = b, hww = 1, hwb = 0, hbb = 1;
    for (size_t i = 0; i < n; ++i) {
      const double h = 1 - y[i] * (w * x[i] + b);
      if (h <= 0) continue;
      gw -= 2 * c[i] * h * y[i] * x[i];
      gb -= 2 * c[i] * h * y[i];
      hww += 2 * c[i] * x[i] * x[i];
      hwb += 2 * c[i] * x[i];
      hbb += 2 * c[i];
    }
    const double det = hww * hbb - hwb * hwb;
    const double sw = -(hbb * gw - hwb * gb) / det, sb = -(-hwb * gw + hww * gb) / det;
    const double decrement = -(gw * sw + gb * sb);
    if (!(decrement > 1e-24 * std::max(1.0, f))) break;
    double t = 1.0, f_new = objective(w + sw, b + sb);
    while (f_new > f - 1e-4 * t * decrement && t > 1e-12) {
      t *= 0.5;
      f_new = objective(w + t * sw, b + t * sb);
    }
    if (f_new > f) break;
    w += t * sw;
    b += t * sb;
    f = f_new;
  }
  return {w, b};
}

}  // namespace

int32_t ScalarSvm::predict(double x) const {
  if (num_classes == 2) return w[0] * x + b[0] >= 0 ? 0 : 1;
  int32_t best = 0;
  for (int32_t k = 1; k < num_classes; ++k)
    if (w[k] * x + b[k] > w[best] * x + b[best]) best = k;
  return best;
}

ScalarSvm fit_scalar_svm(const std::vector<double>& x, const std::vector<int32_t>& labels, int32_t num_classes,
                         double c) {
  LATENTLAB_ASSERT(x.size() == labels.size() && num_classes >= 2, "scalar svm inputs");
  std::vector<int64_t> count(num_classes, 0);
  for (int32_t l : labels) ++count[l];
  std::vector<double> class_weight(num_classes);  // sklearn compute_class_weight("balanced")
  for (int32_t k = 0; k < num_classes; ++k)
    class_weight[k] = count[k] ? static_cast<double>(x.size()) / (num_classes * count[k]) : 0.0;
  ScalarSvm svm;
  svm.num_classes = num_classes;
  std::vector<double> y(x.size()), ci(x.size());
  const int32_t problems = num_classes == 2 ? 1 : num_classes;
  for (int32_t k = 0; k < problems; ++k) {
    for (size_t i = 0; i < x.size(); ++i) {
      const bool positive = labels[i] == k;
      y[i] = positive ? 1.0 : -1.0;
      // liblinear: one-vs-rest weights only the positive class; the binary problem weights both.
      ci[i] = c * (positive ? class_weight[k] : (num_classes == 2 ? class_weight[labels[i]] : 1.0));
    }
    const auto [wk, bk] = squared_hinge_svm(x, y, ci);
    svm.w.push_back(wk);
    svm.b.push_back(bk);
  }
  return svm;
}

double sap_from_score_matrix(const std::vector<std::vector<double>>& scores) {
  LATENTLAB_ASSERT(!scores.empty() && !scores[0].empty(), "empty SAP score matrix");
  double total = 0.0;
  for (size_t k = 0; k < scores[0].size(); ++k) {
    std::vector<double> column;
    for (const auto& row : scores) column.push_back(row[k]);
    std::sort(column.begin(), column.end(), std::greater<double>());
    total += column[0] - (column.size() > 1 ? column[1] : 0.0);
  }
  return total / scores[0].size();
}

SapResult compute_sap(const at::Tensor& codes_train, const at::Tensor& factors_train, const at::Tensor& codes_test,
                      const at::Tensor& factors_test, const SapOptions& options) {
  if (!(options.svm_c > 0)) fail_usage("svm-c", "must be positive, got {}", options.svm_c);
  const auto split = train_test_codes(codes_train, factors_train, codes_test, factors_test);
  const auto &z_train = split.z_train, &z_test = split.z_test;
  const auto &f_train = split.f_train, &f_test = split.f_test;
  const int64_t j_count = z_train.size(1), k_count = static_cast<int64_t>(f_train.size());
  SapResult r;
  r.options = options;
  r.num_train = z_train.size(0);
  r.num_test = z_test.size(0);
  r.score_matrix.assign(j_count, std::vector<double>(k_count, 0.0));
  for (int64_t j = 0; j < j_count; ++j) {
    const auto x_train = code_column(z_train, j), x_test = code_column(z_test, j);
    for (int64_t k = 0; k < k_count; ++k) {
      if (options.continuous_factors) {
        // np.cov(z_j, v_k, ddof=1): squared covariance over the product of variances.
        const double n = static_cast<double>(x_train.size());
        double mz = 0, mv = 0;
        for (size_t i = 0; i < x_train.size(); ++i) {
          mz += x_train[i];
          mv += static_cast<double>(f_train[k][i]);
        }
        mz /= n;
        mv /= n;
        double czz = 0, cvv = 0, czv = 0;
        for (size_t i = 0; i < x_train.size(); ++i) {
          const double dz = x_train[i] - mz, dv = static_cast<double>(f_train[k][i]) - mv;
          czz += dz * dz;
          cvv += dv * dv;
          czv += dz * dv;
        }
        czz /= n - 1;
        cvv /= n - 1;
        czv /= n - 1;
        r.score_matrix[j][k] = czz > 1e-12 ? czv * czv / czz / cvv : 0.0;
        continue;
      }
      const auto labels = dense_labels(f_train[k]);
      if (labels.num_classes() < 2) continue;  // nothing to predict: score 0
      const auto svm = fit_scalar_svm(x_train, labels.ids, labels.num_classes(), options.svm_c);
      const auto test_ids = map_labels(f_test[k], labels.classes);
      int64_t correct = 0;
      for (size_t i = 0; i < x_test.size(); ++i) correct += svm.predict(x_test[i]) == test_ids[i];
      r.score_matrix[j][k] = static_cast<double>(correct) / x_test.size();
    }
  }
  r.sap = sap_from_score_matrix(r.score_matrix);
  return r;
}

nlohmann::json SapResult::to_json() const {
  return {
      {"sap", sap},
      {"score_matrix", score_matrix},
      {"protocol",
       {{"definition", "SAP, disentanglement_lib (mean gap between the two most predictive single codes)"},
        {"continuous_factors", options.continuous_factors},
        {"predictor", options.continuous_factors ? "squared Pearson correlation (train)"
                                                 : "LinearSVC squared hinge, balanced class weights, test accuracy"},
        {"svm_c", options.svm_c},
        {"num_train", num_train},
        {"num_test", num_test}}}};
}

}  // namespace latentlab::metrics
