#include "metrics/disentanglement/mutual_info.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <unordered_map>

#include "core/error.h"
#include "metrics/disentanglement/codes.h"

namespace latentlab::metrics {

std::vector<int32_t> histogram_discretize(const std::vector<double>& values, int bins) {
  LATENTLAB_ASSERT(bins >= 1 && !values.empty(), "histogram_discretize: bins {} values {}", bins, values.size());
  double lo = *std::min_element(values.begin(), values.end());
  double hi = *std::max_element(values.begin(), values.end());
  if (lo == hi) {  // np.histogram widens an empty range by 0.5 each side
    lo -= 0.5;
    hi += 0.5;
  }
  // np.linspace(lo, hi, bins + 1): step = (hi - lo) / bins, e_i = i * step + lo; digitize uses e_0..e_{bins-1}.
  const double step = (hi - lo) / bins;
  std::vector<double> edges(bins);
  for (int i = 0; i < bins; ++i) edges[i] = static_cast<double>(i) * step + lo;
  std::vector<int32_t> ids(values.size());
  for (size_t n = 0; n < values.size(); ++n)
    ids[n] = static_cast<int32_t>(std::upper_bound(edges.begin(), edges.end(), values[n]) - edges.begin());
  return ids;
}

double discrete_mutual_info(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  LATENTLAB_ASSERT(a.size() == b.size() && !a.empty(), "discrete_mutual_info: sizes {} and {}", a.size(), b.size());
  const int32_t na = *std::max_element(a.begin(), a.end()) + 1;
  const int32_t nb = *std::max_element(b.begin(), b.end()) + 1;
  std::vector<int64_t> pa(na, 0), pb(nb, 0);
  std::unordered_map<int64_t, int64_t> joint;
  joint.reserve(std::min<size_t>(a.size(), static_cast<size_t>(na) * nb));
  for (size_t i = 0; i < a.size(); ++i) {
    LATENTLAB_ASSERT(a[i] >= 0 && b[i] >= 0, "negative label id");
    ++pa[a[i]];
    ++pb[b[i]];
    ++joint[static_cast<int64_t>(a[i]) * nb + b[i]];
  }
  const auto used = [](const std::vector<int64_t>& p) {
    return std::count_if(p.begin(), p.end(), [](int64_t c) { return c > 0; });
  };
  if (used(pa) == 1 || used(pb) == 1) return 0.0;
  // Sorted like scipy's sp.find (row-major) so the float64 sum runs in sklearn's order.
  std::vector<std::pair<int64_t, int64_t>> cells(joint.begin(), joint.end());
  std::sort(cells.begin(), cells.end());
  const double total = static_cast<double>(a.size());
  const double log_total = std::log(total);
  double mi = 0.0;
  for (const auto& [key, count] : cells) {
    const double outer = static_cast<double>(pa[key / nb] * pb[key % nb]);
    const double p = count / total;
    const double term = p * (std::log(static_cast<double>(count)) - log_total) + p * (-std::log(outer) + 2 * log_total);
    if (std::abs(term) >= DBL_EPSILON) mi += term;
  }
  return std::max(mi, 0.0);
}

std::vector<std::vector<double>> discretized_mutual_info_matrix(const at::Tensor& codes,
                                                                const std::vector<std::vector<int32_t>>& factor_ids,
                                                                int bins) {
  std::vector<std::vector<double>> m(codes.size(1), std::vector<double>(factor_ids.size()));
  for (int64_t j = 0; j < codes.size(1); ++j) {
    const auto ids = histogram_discretize(code_column(codes, j), bins);
    for (size_t k = 0; k < factor_ids.size(); ++k) m[j][k] = discrete_mutual_info(ids, factor_ids[k]);
  }
  return m;
}

}  // namespace latentlab::metrics
