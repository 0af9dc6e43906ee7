// Mutual Information Gap (Chen et al. 2018, "Isolating Sources of Disentanglement in VAEs"), in the
// discretised form of disentanglement_lib evaluation/metrics/mig.py (Apache-2.0):
//   M[j, k] = MI(histogram-discretised code j; factor k)   (mutual_info.h, 20 bins)
//   MIG = mean_k (M_(1)k - M_(2)k) / H(v_k)                 (two largest entries of column k)
// dlib study default: num_train 10000 points, 20 bins. A constant factor (H = 0) makes dlib's score NaN;
// here it is left out of the mean and counted in `constant_factors`. With a single code the second-largest
// entry is taken as 0.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace latentlab::metrics {

struct MigOptions {
  int bins = 20;
};

struct MigResult {
  double mig = 0.0;
  std::vector<double> per_factor;                // normalised gap per factor (NaN for constant factors)
  std::vector<double> factor_entropy;            // H(v_k), nats
  std::vector<std::vector<double>> mutual_info;  // (J, K), nats
  int64_t num_examples = 0;
  int constant_factors = 0;
  MigOptions options;
  nlohmann::json to_json() const;
};

// codes (N, J), factors (N, K): see codes.h.
MigResult compute_mig(const at::Tensor& codes, const at::Tensor& factors, const MigOptions& options = {});
// The pure part: from an MI matrix (J, K) and factor entropies.
double mig_from_mutual_info(const std::vector<std::vector<double>>& mutual_info, const std::vector<double>& entropy,
                            std::vector<double>* per_factor = nullptr);

}  // namespace latentlab::metrics
