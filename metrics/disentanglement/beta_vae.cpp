#include "metrics/disentanglement/beta_vae.h"

#include <algorithm>

#include <ATen/ATen.h>

#include "core/error.h"
#include "metrics/probes/logistic_regression.h"

namespace latentlab::metrics {
namespace {

// `points` (feature, label) pairs: features (points, J) float64, labels (points) int64.
std::pair<at::Tensor, at::Tensor> make_points(const std::vector<int64_t>& sizes, const RepresentFn& represent,
                                              const BetaVaeOptions& o, int64_t points, std::mt19937_64& rng,
                                              int64_t& num_codes) {
  const int64_t k_count = static_cast<int64_t>(sizes.size()), b = o.batch_size;
  std::vector<at::Tensor> features;
  std::vector<int64_t> labels;
  for (int64_t done = 0; done < points;) {
    const int64_t chunk = std::min(o.points_per_call, points - done);
    std::vector<int64_t> rows;  // per point: batch rows of factors1, then batch rows of factors2
    rows.reserve(chunk * 2 * b * k_count);
    for (int64_t p = 0; p < chunk; ++p) {
      const int64_t index = std::uniform_int_distribution<int64_t>(0, k_count - 1)(rng);
      labels.push_back(index);
      const size_t first = rows.size();
      sample_factor_rows(sizes, b, rng, rows);
      sample_factor_rows(sizes, b, rng, rows);
      for (int64_t i = 0; i < b; ++i) rows[first + (b + i) * k_count + index] = rows[first + i * k_count + index];
    }
    const auto codes = represent_checked(represent, rows, chunk * 2 * b, k_count, num_codes);
    num_codes = codes.size(1);
    const auto pairs = codes.view({chunk, 2, b, num_codes});
    features.push_back((pairs.select(1, 0) - pairs.select(1, 1)).abs().mean(1));
    done += chunk;
  }
  return {at::cat(features, 0), at::tensor(labels, at::kLong)};
}

}  // namespace

BetaVaeResult compute_beta_vae_score(const std::vector<int64_t>& factor_sizes, const RepresentFn& represent,
                                     const BetaVaeOptions& options) {
  check_factor_sizes(factor_sizes);
  if (factor_sizes.size() < 2) fail("factor sizes", "the β-VAE score needs at least 2 factors");
  if (options.batch_size < 1) fail_usage("batch-size", "must be at least 1, got {}", options.batch_size);
  if (options.num_train < 2) fail_usage("num-train", "must be at least 2, got {}", options.num_train);
  if (options.num_eval < 1) fail_usage("num-eval", "must be at least 1, got {}", options.num_eval);
  if (options.points_per_call < 1) fail_usage("points-per-call", "must be at least 1");
  std::mt19937_64 rng(options.seed);
  BetaVaeResult r;
  r.options = options;
  r.factor_sizes = factor_sizes;
  const auto [x_train, y_train] = make_points(factor_sizes, represent, options, options.num_train, rng, r.num_codes);
  const auto [x_eval, y_eval] = make_points(factor_sizes, represent, options, options.num_eval, rng, r.num_codes);
  const auto model =
      fit_multinomial_logistic(x_train, y_train, static_cast<int64_t>(factor_sizes.size()), options.logistic_c);
  r.train_accuracy = (model.predict(x_train) == y_train).to(at::kDouble).mean().item<double>();
  r.eval_accuracy = (model.predict(x_eval) == y_eval).to(at::kDouble).mean().item<double>();
  return r;
}

nlohmann::json BetaVaeResult::to_json() const {
  return {{"train_accuracy", train_accuracy},
          {"eval_accuracy", eval_accuracy},
          {"protocol",
           {{"definition", "β-VAE score, disentanglement_lib (mean |z1 - z2| over pairs sharing one factor)"},
            {"batch_size", options.batch_size},
            {"num_train", options.num_train},
            {"num_eval", options.num_eval},
            {"seed", options.seed},
            {"rng", "std::mt19937_64"},
            {"classifier", "multinomial logistic regression, L2, raw features, converged L-BFGS"},
            {"logistic_c", options.logistic_c},
            {"factor_sizes", factor_sizes},
            {"num_codes", num_codes}}}};
}

}  // namespace latentlab::metrics
