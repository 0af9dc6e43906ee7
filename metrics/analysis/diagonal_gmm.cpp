#include "metrics/analysis/diagonal_gmm.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include <ATen/ATen.h>

#include "core/error.h"
#include "metrics/analysis/diagonal_gmm_em.h"

namespace latentlab::metrics {
namespace {

// The fit runs on CPU float64 (diagonal_gmm_em.h); parameters come back on the rows' device.
GmmParameters on_cpu(const GmmParameters& p) {
  const auto cpu = [](const at::Tensor& t) { return t.to(at::kCPU, at::kDouble).contiguous(); };
  return {cpu(p.weights), cpu(p.means), cpu(p.variances)};
}

}  // namespace

double gmm_mean_log_likelihood(const at::Tensor& x, const GmmParameters& p) {
  const auto xd = x.to(at::kCPU, at::kDouble).contiguous();
  return DiagonalGmmEm(xd, p.weights.size(0)).e_step(on_cpu(p), false);
}

GmmParameters gmm_start(const at::Tensor& x, int64_t components, const GmmOptions& options) {
  const int64_t n = x.size(0);
  LATENTLAB_ASSERT(components >= 1 && components <= n, "K = {} needs at least K rows (n = {})", components, n);
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(options.seed);
  std::shuffle(order.begin(), order.end(), rng);
  order.resize(static_cast<size_t>(components));
  const auto xd = x.to(at::kDouble);
  GmmParameters p;
  p.weights = at::full({components}, 1.0 / static_cast<double>(components), xd.options());
  p.means = xd.index_select(0, at::tensor(order, at::kLong).to(xd.device()));
  p.variances = (xd.var(0, /*unbiased=*/false) + options.reg_covar).view({1, -1}).repeat({components, 1});
  return p;
}

GmmFit fit_diagonal_gmm(const at::Tensor& x, GmmParameters start, const GmmOptions& options) {
  const auto xd = x.to(at::kCPU, at::kDouble).contiguous();
  const int64_t n = xd.size(0), d = xd.size(1), k = start.weights.size(0);
  GmmFit fit;
  auto p = on_cpu(start);
  DiagonalGmmEm em(xd, k);
  double lower_bound = -std::numeric_limits<double>::infinity();
  for (int64_t it = 1; it <= options.max_iterations; ++it) {
    const double previous = lower_bound;
    lower_bound = em.e_step(p, true);
    em.m_step(p, options.reg_covar);
    fit.iterations = it;
    if (std::abs(lower_bound - previous) < options.tolerance) {
      fit.converged = true;
      break;
    }
  }
  fit.log_likelihood = em.e_step(p, false);
  const double parameters = static_cast<double>(2 * k * d + k - 1);
  fit.bic = -2.0 * fit.log_likelihood * static_cast<double>(n) + parameters * std::log(static_cast<double>(n));
  const auto device = x.device();
  fit.parameters = {p.weights.to(device), p.means.to(device), p.variances.to(device)};
  return fit;
}

nlohmann::json gmm_sweep(const at::Tensor& x, const std::vector<int64_t>& components, const GmmOptions& options) {
  const double d = static_cast<double>(x.size(1));
  nlohmann::json curve = nlohmann::json::array();
  double best_bic = std::numeric_limits<double>::infinity();
  nlohmann::json best;
  for (const int64_t k : components) {
    if (k > x.size(0)) fail("--gmm-components", "K = {} exceeds the {} sampled rows", k, x.size(0));
    const auto fit = fit_diagonal_gmm(x, gmm_start(x, k, options), options);
    nlohmann::json row{
        {"components", k}, {"log_likelihood", fit.log_likelihood}, {"nll_per_dim", -fit.log_likelihood / d},
        {"bic", fit.bic},  {"iterations", fit.iterations},         {"converged", fit.converged}};
    if (fit.bic < best_bic) best_bic = fit.bic, best = row;
    curve.push_back(row);
  }
  return {{"definition", "diagonal GMM by EM (scikit-learn's updates); NLL per dimension in nats; BIC choice"},
          {"curve", curve},
          {"best_components", best["components"]},
          {"nll_per_dim", best["nll_per_dim"]},
          {"comparable", "no (the paper gives no protocol; PAPER.md §13 row 24)"},
          {"max_iterations", options.max_iterations},
          {"tolerance", options.tolerance},
          {"reg_covar", options.reg_covar},
          {"seed", options.seed}};
}

}  // namespace latentlab::metrics
