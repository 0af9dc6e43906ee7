#include "metrics/disentanglement/mig.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "core/error.h"
#include "metrics/disentanglement/codes.h"
#include "metrics/disentanglement/mutual_info.h"

namespace latentlab::metrics {

double mig_from_mutual_info(const std::vector<std::vector<double>>& mutual_info, const std::vector<double>& entropy,
                            std::vector<double>* per_factor) {
  LATENTLAB_ASSERT(!mutual_info.empty() && mutual_info[0].size() == entropy.size(), "MI matrix shape");
  double sum = 0.0;
  int counted = 0;
  if (per_factor) per_factor->assign(entropy.size(), std::numeric_limits<double>::quiet_NaN());
  for (size_t k = 0; k < entropy.size(); ++k) {
    std::vector<double> column;
    for (const auto& row : mutual_info) column.push_back(row[k]);
    std::sort(column.begin(), column.end(), std::greater<double>());
    const double first = column[0], second = column.size() > 1 ? column[1] : 0.0;
    if (entropy[k] <= 0.0) continue;
    const double gap = (first - second) / entropy[k];
    if (per_factor) (*per_factor)[k] = gap;
    sum += gap;
    ++counted;
  }
  return counted ? sum / counted : 0.0;
}

MigResult compute_mig(const at::Tensor& codes, const at::Tensor& factors, const MigOptions& options) {
  if (options.bins < 1) fail_usage("bins", "must be at least 1, got {}", options.bins);
  const auto z = codes_matrix(codes, "codes");
  const auto columns = factor_columns(factors, z.size(0), "factors");
  std::vector<std::vector<int32_t>> ids;
  for (const auto& c : columns) ids.push_back(dense_labels(c).ids);
  MigResult r;
  r.options = options;
  r.num_examples = z.size(0);
  r.mutual_info = discretized_mutual_info_matrix(z, ids, options.bins);
  for (const auto& v : ids) {
    r.factor_entropy.push_back(discrete_entropy(v));
    if (r.factor_entropy.back() <= 0.0) ++r.constant_factors;
  }
  r.mig = mig_from_mutual_info(r.mutual_info, r.factor_entropy, &r.per_factor);
  return r;
}

nlohmann::json MigResult::to_json() const {
  nlohmann::json per = nlohmann::json::array();
  for (double g : per_factor) per.push_back(std::isnan(g) ? nlohmann::json(nullptr) : nlohmann::json(g));
  return {{"mig", mig},
          {"per_factor", per},
          {"factor_entropy", factor_entropy},
          {"mutual_info", mutual_info},
          {"constant_factors", constant_factors},
          {"protocol",
           {{"definition", "disentanglement_lib discrete MIG (histogram-discretised codes, plug-in MI, nats)"},
            {"bins", options.bins},
            {"num_examples", num_examples}}}};
}

}  // namespace latentlab::metrics
