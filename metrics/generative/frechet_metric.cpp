#include "metrics/generative/frechet_metric.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)

#include "core/error.h"
#include "metrics/generative/frechet.h"

namespace latentlab::metrics {
namespace {

int64_t checked_dim(const at::Tensor& mu) {
  if (mu.dim() != 1 || mu.size(0) < 1)
    fail("reference statistics", "mu has shape [{}], expected [D]", fmt::join(mu.sizes(), ", "));
  return mu.size(0);
}

}  // namespace

FrechetMetric::FrechetMetric(at::Tensor reference_mu, at::Tensor reference_sigma, std::string name)
    : name_(std::move(name)),
      mu_(reference_mu.to(at::kCPU, at::kDouble)),
      sigma_(reference_sigma.to(at::kCPU, at::kDouble)),
      moments_(checked_dim(reference_mu), true) {
  if (sigma_.dim() != 2 || sigma_.size(0) != mu_.size(0) || sigma_.size(1) != mu_.size(0))
    fail("reference statistics", "sigma has shape [{}], expected [{}, {}]", fmt::join(sigma_.sizes(), ", "),
         mu_.size(0), mu_.size(0));
}

void FrechetMetric::update(const at::Tensor& features) {
  moments_.update(features);
}

void FrechetMetric::merge(const Metric& other) {
  const auto* same = dynamic_cast<const FrechetMetric*>(&other);
  if (same == nullptr || same->name_ != name_ || !at::equal(same->mu_, mu_) || !at::equal(same->sigma_, sigma_))
    fail(name_, "cannot merge metric '{}' computed against other reference statistics", other.name());
  moments_.merge(same->moments_);
}

nlohmann::json FrechetMetric::finalize() const {
  return {{kKeyFrechetDistance, frechet_distance(moments_.mean(), moments_.covariance(), mu_, sigma_)},
          {"count", moments_.count()}};
}

}  // namespace latentlab::metrics
