#include "metrics/generative/inception_score.h"

#include <cmath>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)

#include "core/error.h"
#include "metrics/generative/numpy_random.h"

namespace latentlab::metrics {

nlohmann::json InceptionScoreOptions::to_json() const {
  return {{"splits", split_size > 0 ? nlohmann::json(nullptr) : nlohmann::json(splits)},
          {"split_size", split_size},
          {"shuffle", shuffle},
          {"seed", seed},
          {"softmax", "all logits, float64"}};
}

InceptionScore inception_score(const at::Tensor& logits, const InceptionScoreOptions& options) {
  if (logits.dim() != 2 || logits.size(1) < 2)
    fail("logits", "expected shape [N, C] with C >= 2, got [{}]", fmt::join(logits.sizes(), ", "));
  if (!at::isFloatingType(logits.scalar_type()))
    fail("logits", "expected floating values, got {}", c10::toString(logits.scalar_type()));
  const int64_t n = logits.size(0);
  if (options.split_size < 0 || (options.split_size == 0 && options.splits < 1))
    fail_usage("inception score", "split size {} / splits {} are not positive", options.split_size, options.splits);
  // Split boundaries: [begin_k, begin_{k+1}).
  std::vector<int64_t> bounds;
  if (options.split_size > 0) {
    if (n < 1) fail("logits", "no rows");
    for (int64_t b = 0; b < n; b += options.split_size) bounds.push_back(b);
    bounds.push_back(n);
  } else {
    if (n < options.splits) fail("logits", "{} rows cannot fill {} splits", n, options.splits);
    for (int64_t k = 0; k <= options.splits; ++k) bounds.push_back(k * n / options.splits);
  }

  at::Tensor x = logits.to(at::kDouble);
  if (options.shuffle) {
    auto order = NumpyRandomState(options.seed).permutation(n);
    const auto index = at::from_blob(order.data(), {n}, at::kLong).to(x.device());
    x = x.index_select(0, index);
  }
  const at::Tensor log_p = at::log_softmax(x, 1);
  const at::Tensor p = log_p.exp();

  InceptionScore out;
  for (size_t k = 0; k + 1 < bounds.size(); ++k) {
    const at::Tensor p_k = p.slice(0, bounds[k], bounds[k + 1]);
    const at::Tensor log_p_k = log_p.slice(0, bounds[k], bounds[k + 1]);
    const at::Tensor log_q = p_k.mean(0, true).log();
    const double kl = (p_k * (log_p_k - log_q)).sum(1).mean().item<double>();
    out.split_scores.push_back(std::exp(kl));
  }
  double sum = 0;
  for (double s : out.split_scores) sum += s;
  out.mean = sum / out.split_scores.size();
  double sq = 0;
  for (double s : out.split_scores) sq += (s - out.mean) * (s - out.mean);
  out.std = std::sqrt(sq / out.split_scores.size());
  return out;
}

void InceptionScoreMetric::update(const at::Tensor& logits) {
  if (logits.dim() != 2) fail("logits", "expected shape [B, C], got [{}]", fmt::join(logits.sizes(), ", "));
  if (!batches_.empty() && logits.size(1) != batches_.front().size(1))
    fail("logits", "batch has {} classes, earlier batches {}", logits.size(1), batches_.front().size(1));
  batches_.push_back(logits.detach().clone());
}

void InceptionScoreMetric::merge(const Metric& other) {
  const auto* same = dynamic_cast<const InceptionScoreMetric*>(&other);
  if (same == nullptr || same->options_.to_json() != options_.to_json())
    fail("inception score", "cannot merge metric '{}' with other options", other.name());
  for (const auto& b : same->batches_) update(b);
}

nlohmann::json InceptionScoreMetric::finalize() const {
  if (batches_.empty()) fail("inception score", "no logits were given");
  const auto score = inception_score(at::cat(batches_, 0), options_);
  int64_t count = 0;
  for (const auto& b : batches_) count += b.size(0);
  return {{kKeyIsMean, score.mean},
          {kKeyIsStd, score.std},
          {kKeyIsSplits, score.split_scores},
          {"count", count},
          {"options", options_.to_json()}};
}

}  // namespace latentlab::metrics
