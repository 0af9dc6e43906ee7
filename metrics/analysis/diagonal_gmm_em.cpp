#include "metrics/analysis/diagonal_gmm_em.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

namespace latentlab::metrics {

DiagonalGmmEm::DiagonalGmmEm(const at::Tensor& x, int64_t components) : n_(x.size(0)), d_(x.size(1)), k_(components) {
  const auto options = at::TensorOptions().dtype(at::kDouble);
  rows_ = at::cat({x, x * x, at::ones({n_, 1}, options)}, 1).contiguous();
  coefficients_ = at::empty({2 * d_ + 1, k_}, options);
  log_prob_ = at::empty({n_, k_}, options);
  log_norm_ = at::empty({n_}, options);
  sums_ = at::empty({k_, 2 * d_ + 1}, options);
}

// W from the parameters as scikit-learn derives them: precision_chol = 1/σ, precision = precision_chol²,
// log det = Σ log precision_chol.
void DiagonalGmmEm::set_coefficients(const GmmParameters& p) {
  const double* weights = p.weights.data_ptr<double>();
  const double* means = p.means.data_ptr<double>();
  const double* variances = p.variances.data_ptr<double>();
  double* w = coefficients_.data_ptr<double>();
  const double log_2pi = static_cast<double>(d_) * std::log(2 * M_PI);
  for (int64_t k = 0; k < k_; ++k) {
    double mahalanobis_mean = 0.0, log_det = 0.0;
    for (int64_t d = 0; d < d_; ++d) {
      const double chol = 1.0 / std::sqrt(variances[k * d_ + d]);
      const double precision = chol * chol, mean = means[k * d_ + d];
      mahalanobis_mean += mean * mean * precision;
      log_det += std::log(chol);
      w[d * k_ + k] = mean * precision;
      w[(d_ + d) * k_ + k] = -0.5 * precision;
    }
    w[2 * d_ * k_ + k] = -0.5 * (log_2pi + mahalanobis_mean) + log_det + std::log(weights[k]);
  }
}

double DiagonalGmmEm::e_step(const GmmParameters& p, bool responsibilities) {
  set_coefficients(p);
  at::mm_out(log_prob_, rows_, coefficients_);
  double* lp = log_prob_.data_ptr<double>();
  double* norm = log_norm_.data_ptr<double>();
  const int64_t k = k_;
  // One exp per entry: the responsibilities are exp(lp − max) / Σ exp(lp − max).
  at::parallel_for(0, n_, std::max<int64_t>(1, 8192 / k), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      double* row = lp + i * k;
      const double top = *std::max_element(row, row + k);
      double sum = 0.0;
      if (responsibilities) {
        for (int64_t j = 0; j < k; ++j) sum += row[j] = std::exp(row[j] - top);
        const double inverse = 1.0 / sum;
        for (int64_t j = 0; j < k; ++j) row[j] *= inverse;
      } else {
        for (int64_t j = 0; j < k; ++j) sum += std::exp(row[j] - top);
      }
      norm[i] = top + std::log(sum);
    }
  });
  // ATen's cascade sum, close to numpy's pairwise mean (a running sum drifts by ~√n ulp).
  return log_norm_.sum().item<double>() / static_cast<double>(n_);
}

void DiagonalGmmEm::m_step(GmmParameters& p, double reg_covar) {
  at::mm_out(sums_, log_prob_.t(), rows_);
  const auto options = at::TensorOptions().dtype(at::kDouble);
  p.weights = at::empty({k_}, options);
  p.means = at::empty({k_, d_}, options);
  p.variances = at::empty({k_, d_}, options);
  const double* s = sums_.data_ptr<double>();
  double* weights = p.weights.data_ptr<double>();
  double* means = p.means.data_ptr<double>();
  double* variances = p.variances.data_ptr<double>();
  const int64_t columns = 2 * d_ + 1;
  double total = 0.0;
  for (int64_t k = 0; k < k_; ++k) {
    const double* row = s + k * columns;
    const double nk = row[2 * d_] + 10.0 * std::numeric_limits<double>::epsilon();
    for (int64_t d = 0; d < d_; ++d) {
      const double mean = row[d] / nk;
      means[k * d_ + d] = mean;
      variances[k * d_ + d] = row[d_ + d] / nk - 2.0 * (mean * row[d]) / nk + mean * mean + reg_covar;
    }
    weights[k] = nk;
    total += nk;
  }
  for (int64_t k = 0; k < k_; ++k) weights[k] /= total;
}

}  // namespace latentlab::metrics
