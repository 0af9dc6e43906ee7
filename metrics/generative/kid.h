// Kernel Inception Distance (Bińkowski et al. 2018, "Demystifying MMD GANs"): the unbiased estimate of the
// squared MMD with the polynomial kernel k(x, y) = (gamma x.y + coef0)^degree (degree 3, gamma = 1/D,
// coef0 = 1), averaged over random subsets:
//
//   MMD^2_u = [sum_{i != j} k(x_i, x_j) + sum_{i != j} k(y_i, y_j)] / (m (m - 1)) - 2 sum_{i, j} k(x_i, y_j) / m^2
//
// Per subset, m rows are drawn without replacement from each set independently; reported: mean and
// population std over the subsets (negative values are valid). Subsets follow torch-fidelity exactly:
// rng = numpy RandomState(2020); for each subset, choice(N_x, m, replace=False) and then
// choice(N_y, m, replace=False). Port of torch_fidelity/metric_kid.py (mmd2 with mmd_est='unbiased',
// polynomial_kernel, kid_features_to_metric), Apache-2.0; ../shared/docs/METRICS.md §6. Unlike
// torch-fidelity (float32 numpy), the kernels and sums are float64, on the features' device.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "metrics/metric.h"

namespace latentlab::metrics {

inline constexpr const char* kKeyKidMean = "kernel_inception_distance_mean";
inline constexpr const char* kKeyKidStd = "kernel_inception_distance_std";

struct KidOptions {
  int64_t subsets = 100;
  int64_t subset_size = 1000;
  int64_t degree = 3;
  double gamma = 0;  // 0 = 1 / D
  double coef0 = 1;
  uint32_t seed = 2020;
  // Toolkit default: a subset size above min(N_x, N_y) is lowered to it with a warning (METRICS.md §6);
  // false = a UserError, as torch-fidelity does.
  bool shrink_subset_size = true;
  nlohmann::json to_json() const;
};

struct KidResult {
  double mean = 0;
  double std = 0;           // population std (numpy.std)
  int64_t subset_size = 0;  // the size used (after shrinking)
  std::vector<double> subset_values;
};

// Unbiased MMD^2 of two equally sized sets x, y: (m, D) with the polynomial kernel, float64 on x's device.
// gamma <= 0 means 1 / D.
double polynomial_mmd2_unbiased(const at::Tensor& x, const at::Tensor& y, int64_t degree = 3, double gamma = 0,
                                double coef0 = 1);

// x: (N_x, D), y: (N_y, D) floating, same device. x is drawn first (torch-fidelity's input1).
KidResult kernel_inception_distance(const at::Tensor& x, const at::Tensor& y, const KidOptions& options = {});

// Holds the reference features; streams the evaluated set (x); finalize() gives
// {kernel_inception_distance_mean, kernel_inception_distance_std, subset_size, count, options}.
class KidMetric : public Metric {
 public:
  KidMetric(at::Tensor reference, KidOptions options = {});
  std::string name() const override { return "kid"; }
  void update(const at::Tensor& features) override;
  void merge(const Metric& other) override;
  nlohmann::json finalize() const override;

 private:
  at::Tensor reference_;
  KidOptions options_;
  std::vector<at::Tensor> batches_;
};

}  // namespace latentlab::metrics
