// Discretisation and plug-in discrete mutual information, as disentanglement_lib computes them
// (google-research/disentanglement_lib evaluation/metrics/utils.py, Apache-2.0; ../shared/docs/METRICS.md §11):
//   - histogram discretiser: per code, `bins` equal-width bins between the code's sample min and max (numpy
//     np.histogram edges e_i = min + i (max - min)/bins), id = np.digitize(x, e_0..e_{bins-1}), i.e. the number
//     of left edges <= x, so ids run 1..bins and the maximum lands in the last bin. A constant code has
//     np.histogram's range (min - 0.5, max + 0.5) and lands in one bin.
//   - MI in nats with sklearn.metrics.mutual_info_score's formula (contingency table; a constant label gives
//     0; terms below machine epsilon are dropped; clipped at 0). H(v) = MI(v; v).
// Edges are computed in float64; dlib's numpy computes them in the codes' dtype (float32 for most models),
// so a float32 value lying exactly on an edge may fall in the neighbouring bin there.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace latentlab::metrics {

std::vector<int32_t> histogram_discretize(const std::vector<double>& values, int bins);

// Plug-in MI of two label vectors of equal length (ids >= 0), nats.
double discrete_mutual_info(const std::vector<int32_t>& a, const std::vector<int32_t>& b);
inline double discrete_entropy(const std::vector<int32_t>& a) {
  return discrete_mutual_info(a, a);
}

// M[j][k] = MI(discretised code j; factor k). codes: CPU float64 (N, J) (see codes.h); factor_ids: K vectors of
// N dense ids. Returns J rows of K values.
std::vector<std::vector<double>> discretized_mutual_info_matrix(const at::Tensor& codes,
                                                                const std::vector<std::vector<int32_t>>& factor_ids,
                                                                int bins);

}  // namespace latentlab::metrics
