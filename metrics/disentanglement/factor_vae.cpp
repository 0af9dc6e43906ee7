#include "metrics/disentanglement/factor_vae.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <tuple>

#include <ATen/ATen.h>

#include "core/error.h"
#include "stats/running_moments.h"

namespace latentlab::metrics {
namespace {

std::vector<std::vector<int64_t>> vote(const std::vector<int64_t>& sizes, const RepresentFn& represent,
                                       const FactorVaeOptions& o, int64_t points, std::mt19937_64& rng,
                                       const std::vector<double>& variance, const std::vector<int64_t>& active) {
  const int64_t k_count = static_cast<int64_t>(sizes.size()), b = o.batch_size;
  const int64_t j_count = static_cast<int64_t>(variance.size());
  std::vector<std::vector<int64_t>> votes(k_count, std::vector<int64_t>(j_count, 0));
  for (int64_t done = 0; done < points;) {
    const int64_t chunk = std::min(o.points_per_call, points - done);
    std::vector<int64_t> rows, labels;
    rows.reserve(chunk * b * k_count);
    for (int64_t p = 0; p < chunk; ++p) {
      const int64_t index = std::uniform_int_distribution<int64_t>(0, k_count - 1)(rng);
      labels.push_back(index);
      const size_t first = rows.size();
      sample_factor_rows(sizes, b, rng, rows);
      for (int64_t i = 1; i < b; ++i) rows[first + i * k_count + index] = rows[first + index];
    }
    const auto codes = represent_checked(represent, rows, chunk * b, k_count, j_count);
    const auto local = codes.view({chunk, b, j_count}).var(1, /*unbiased=*/true).contiguous();  // (chunk, J)
    const double* lv = local.data_ptr<double>();
    for (int64_t p = 0; p < chunk; ++p) {
      size_t best = 0;
      double best_ratio = 0;
      for (size_t a = 0; a < active.size(); ++a) {
        const double ratio = lv[p * j_count + active[a]] / variance[active[a]];
        if (a == 0 || ratio < best_ratio) best = a, best_ratio = ratio;  // np.argmin: first minimum
      }
      const int64_t column = o.dlib_index_quirk ? static_cast<int64_t>(best) : active[best];
      ++votes[labels[p]][column];
    }
    done += chunk;
  }
  return votes;
}

}  // namespace

std::pair<double, double> factor_vae_accuracies(const std::vector<std::vector<int64_t>>& train_votes,
                                                const std::vector<std::vector<int64_t>>& eval_votes) {
  LATENTLAB_ASSERT(!train_votes.empty() && train_votes.size() == eval_votes.size(), "vote matrices");
  const size_t j_count = train_votes[0].size();
  int64_t train_hit = 0, train_total = 0, eval_hit = 0, eval_total = 0;
  for (size_t d = 0; d < j_count; ++d) {
    size_t cls = 0;
    for (size_t k = 1; k < train_votes.size(); ++k)
      if (train_votes[k][d] > train_votes[cls][d]) cls = k;
    train_hit += train_votes[cls][d];
    eval_hit += eval_votes[cls][d];
    for (size_t k = 0; k < train_votes.size(); ++k) {
      train_total += train_votes[k][d];
      eval_total += eval_votes[k][d];
    }
  }
  return {train_total ? static_cast<double>(train_hit) / train_total : 0.0,
          eval_total ? static_cast<double>(eval_hit) / eval_total : 0.0};
}

FactorVaeResult compute_factor_vae_score(const std::vector<int64_t>& factor_sizes, const RepresentFn& represent,
                                         const FactorVaeOptions& options) {
  check_factor_sizes(factor_sizes);
  if (options.batch_size < 2)
    fail_usage("batch-size", "a variance needs at least 2 observations, got {}", options.batch_size);
  if (options.num_train < 1) fail_usage("num-train", "must be at least 1, got {}", options.num_train);
  if (options.num_eval < 1) fail_usage("num-eval", "must be at least 1, got {}", options.num_eval);
  if (options.num_variance_estimate < 2)
    fail_usage("num-variance-estimate", "must be at least 2, got {}", options.num_variance_estimate);
  if (options.prune_threshold < 0) fail_usage("prune-threshold", "must be >= 0, got {}", options.prune_threshold);
  if (options.points_per_call < 1) fail_usage("points-per-call", "must be at least 1");
  std::mt19937_64 rng(options.seed);
  FactorVaeResult r;
  r.options = options;
  r.factor_sizes = factor_sizes;
  const int64_t k_count = static_cast<int64_t>(factor_sizes.size());

  // Global variances, accumulated in float64 chunk by chunk.
  std::unique_ptr<stats::RunningMoments> moments;
  const int64_t chunk_rows = std::max<int64_t>(options.points_per_call * options.batch_size, 2);
  for (int64_t done = 0; done < options.num_variance_estimate;) {
    const int64_t rows = std::min(chunk_rows, options.num_variance_estimate - done);
    std::vector<int64_t> f;
    sample_factor_rows(factor_sizes, rows, rng, f);
    const auto codes = represent_checked(represent, f, rows, k_count, r.num_codes);
    r.num_codes = codes.size(1);
    if (!moments) moments = std::make_unique<stats::RunningMoments>(r.num_codes, false);
    moments->update(codes);
    done += rows;
  }
  const auto variance = moments->variance().contiguous();
  r.global_variance.assign(variance.data_ptr<double>(), variance.data_ptr<double>() + r.num_codes);
  std::vector<int64_t> active;
  for (int64_t j = 0; j < r.num_codes; ++j)
    if (r.global_variance[j] > 0 && std::sqrt(r.global_variance[j]) >= options.prune_threshold) active.push_back(j);
  r.num_active_dims = options.dlib_index_quirk ? r.num_codes : static_cast<int64_t>(active.size());
  if (active.empty()) {
    r.num_active_dims = 0;
    return r;
  }
  r.train_votes = vote(factor_sizes, represent, options, options.num_train, rng, r.global_variance, active);
  r.eval_votes = vote(factor_sizes, represent, options, options.num_eval, rng, r.global_variance, active);
  std::tie(r.train_accuracy, r.eval_accuracy) = factor_vae_accuracies(r.train_votes, r.eval_votes);
  return r;
}

nlohmann::json FactorVaeResult::to_json() const {
  return {{"train_accuracy", train_accuracy},
          {"eval_accuracy", eval_accuracy},
          {"num_active_dims", num_active_dims},
          {"global_variance", global_variance},
          {"train_votes", train_votes},
          {"eval_votes", eval_votes},
          {"protocol",
           {{"definition", "FactorVAE score, disentanglement_lib (majority vote over argmin normalised variance)"},
            {"batch_size", options.batch_size},
            {"num_train", options.num_train},
            {"num_eval", options.num_eval},
            {"num_variance_estimate", options.num_variance_estimate},
            {"prune_threshold", options.prune_threshold},
            {"dimension_indexing", options.dlib_index_quirk ? "dlib (pruned index used as code index)"
                                                            : "fixed (votes go to the code itself)"},
            {"seed", options.seed},
            {"rng", "std::mt19937_64"},
            {"factor_sizes", factor_sizes},
            {"num_codes", num_codes}}}};
}

}  // namespace latentlab::metrics
