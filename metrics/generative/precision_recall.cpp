#include "metrics/generative/precision_recall.h"

#include <algorithm>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)

#include "core/error.h"

namespace latentlab::metrics {
namespace {

constexpr int64_t kMaskRows = 1024;

at::Tensor member(const at::Tensor& d, const at::Tensor& r, bool strict) {
  return strict ? d.lt(r) : d.le(r);
}

}  // namespace

nlohmann::json ManifoldOptions::to_json() const {
  return {{"pr_k", pr_k},
          {"dc_k", dc_k},
          {"membership", strict ? "<" : "<="},
          {"block_size", distance.block_size},
          {"distance_dtype", distance.dtype == at::kDouble ? "float64" : "float32"}};
}

ManifoldResult manifold_metrics(const at::Tensor& real, const at::Tensor& fake, const ManifoldOptions& options) {
  if (real.dim() != 2 || fake.dim() != 2 || real.size(1) != fake.size(1))
    fail("features", "real [{}] and generated [{}] must be [N, D] and [M, D]", fmt::join(real.sizes(), ", "),
         fmt::join(fake.sizes(), ", "));
  const at::Tensor real_radii = knn_radii(real, {options.pr_k, options.dc_k}, options.distance);
  const at::Tensor fake_radii = knn_radii(fake.to(real.device()), {options.pr_k}, options.distance);
  const at::Tensor r_pr = real_radii.select(1, 0), r_dc = real_radii.select(1, 1), r_fake = fake_radii.select(1, 0);
  const int64_t n = real.size(0), m = fake.size(0);
  const auto bools = real.options().dtype(at::kBool);
  at::Tensor fake_in_real = at::zeros({m}, bools), real_in_fake = at::zeros({n}, bools);
  at::Tensor real_covered = at::zeros({n}, bools), density_count = at::zeros({m}, real.options().dtype(at::kLong));
  for_each_distance_block(real, fake, options.distance, [&](int64_t r0, int64_t c, const at::Tensor& block) {
    const int64_t cols = block.size(1);
    // Masks are made kMaskRows rows at a time: a boolean mask of the whole block would add a quarter of the
    // block's memory, and summing it (bool -> int64) twice the block's.
    for (int64_t s = 0; s < block.size(0); s += kMaskRows) {
      const at::Tensor d = block.slice(0, s, std::min(block.size(0), s + kMaskRows));
      const int64_t r = r0 + s, rows = d.size(0);
      const at::Tensor pr_mask = member(d, r_pr.slice(0, r, r + rows).unsqueeze(1), options.strict);
      fake_in_real.slice(0, c, c + cols).logical_or_(pr_mask.any(0));
      const at::Tensor recall_mask = member(d, r_fake.slice(0, c, c + cols).unsqueeze(0), options.strict);
      real_in_fake.slice(0, r, r + rows).logical_or_(recall_mask.any(1));
      const at::Tensor dc_mask = member(d, r_dc.slice(0, r, r + rows).unsqueeze(1), options.strict);
      density_count.slice(0, c, c + cols).add_(dc_mask.sum(0));
      real_covered.slice(0, r, r + rows).logical_or_(dc_mask.any(1));
    }
  });
  ManifoldResult out;
  out.precision = fake_in_real.to(at::kDouble).mean().item<double>();
  out.recall = real_in_fake.to(at::kDouble).mean().item<double>();
  out.density = static_cast<double>(density_count.sum().item<int64_t>()) / (static_cast<double>(options.dc_k) * m);
  out.coverage = real_covered.to(at::kDouble).mean().item<double>();
  return out;
}

ManifoldMetric::ManifoldMetric(at::Tensor reference, ManifoldOptions options)
    : reference_(std::move(reference)), options_(options) {
  if (reference_.dim() != 2)
    fail("reference features", "expected shape [N, D], got [{}]", fmt::join(reference_.sizes(), ", "));
}

void ManifoldMetric::update(const at::Tensor& features) {
  if (features.dim() != 2 || features.size(1) != reference_.size(1))
    fail("features", "expected shape [B, {}], got [{}]", reference_.size(1), fmt::join(features.sizes(), ", "));
  batches_.push_back(features.detach().clone());
}

void ManifoldMetric::merge(const Metric& other) {
  const auto* same = dynamic_cast<const ManifoldMetric*>(&other);
  if (same == nullptr || same->options_.to_json() != options_.to_json() ||
      !same->reference_.sizes().equals(reference_.sizes()) || !at::equal(same->reference_, reference_))
    fail("pr", "cannot merge metric '{}' with another reference or other options", other.name());
  for (const auto& b : same->batches_) update(b);
}

nlohmann::json ManifoldMetric::finalize() const {
  if (batches_.empty()) fail("pr", "no features were given");
  const auto features = at::cat(batches_, 0);
  const auto r = manifold_metrics(reference_, features, options_);
  return {{kKeyPrecision, r.precision},   {kKeyRecall, r.recall},      {kKeyDensity, r.density},
          {kKeyCoverage, r.coverage},     {"count", features.size(0)}, {"reference_count", reference_.size(0)},
          {"options", options_.to_json()}};
}

}  // namespace latentlab::metrics
