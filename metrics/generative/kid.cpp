#include "metrics/generative/kid.h"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)

#include "core/error.h"
#include "core/log.h"
#include "metrics/generative/numpy_random.h"

namespace latentlab::metrics {
namespace {

void check_kid_features(const at::Tensor& f, const char* name) {
  if (f.dim() != 2 || f.size(1) < 1) fail(name, "expected shape [N, D], got [{}]", fmt::join(f.sizes(), ", "));
  if (!at::isFloatingType(f.scalar_type()))
    fail(name, "expected floating values, got {}", c10::toString(f.scalar_type()));
}

at::Tensor kernel(const at::Tensor& a, const at::Tensor& b, int64_t degree, double gamma, double coef0) {
  return (at::matmul(a, b.t()) * gamma + coef0).pow(static_cast<double>(degree));
}

at::Tensor rows(const at::Tensor& f, const std::vector<int64_t>& index) {
  auto copy = index;
  return f.index_select(0, at::from_blob(copy.data(), {static_cast<int64_t>(copy.size())}, at::kLong).to(f.device()));
}

}  // namespace

nlohmann::json KidOptions::to_json() const {
  return {{"subsets", subsets},
          {"subset_size", subset_size},
          {"kernel", "polynomial"},
          {"degree", degree},
          {"gamma", gamma > 0 ? nlohmann::json(gamma) : nlohmann::json("1/D")},
          {"coef0", coef0},
          {"seed", seed},
          {"estimator", "unbiased"}};
}

double polynomial_mmd2_unbiased(const at::Tensor& x, const at::Tensor& y, int64_t degree, double gamma, double coef0) {
  check_kid_features(x, "features x");
  check_kid_features(y, "features y");
  if (x.sizes() != y.sizes() || x.size(0) < 2)
    fail("features", "MMD needs two sets of equal shape with >= 2 rows, got [{}] and [{}]", fmt::join(x.sizes(), ", "),
         fmt::join(y.sizes(), ", "));
  const at::Tensor a = x.to(at::kDouble), b = y.to(a.device(), at::kDouble);
  if (gamma <= 0) gamma = 1.0 / static_cast<double>(a.size(1));
  const double m = static_cast<double>(a.size(0));
  const at::Tensor k_xx = kernel(a, a, degree, gamma, coef0), k_yy = kernel(b, b, degree, gamma, coef0);
  const double off_xx = (k_xx.sum() - k_xx.diagonal().sum()).item<double>();
  const double off_yy = (k_yy.sum() - k_yy.diagonal().sum()).item<double>();
  const double xy = kernel(a, b, degree, gamma, coef0).sum().item<double>();
  return (off_xx + off_yy) / (m * (m - 1)) - 2 * xy / (m * m);
}

KidResult kernel_inception_distance(const at::Tensor& x, const at::Tensor& y, const KidOptions& options) {
  check_kid_features(x, "features x");
  check_kid_features(y, "features y");
  if (x.size(1) != y.size(1)) fail("features", "dimensions differ: {} and {}", x.size(1), y.size(1));
  if (options.subsets < 1 || options.subset_size < 2)
    fail_usage("kid", "needs >= 1 subset of >= 2 rows, got {} subsets of {}", options.subsets, options.subset_size);
  KidResult out;
  const int64_t n_x = x.size(0), n_y = y.size(0);
  out.subset_size = options.subset_size;
  if (options.subset_size > std::min(n_x, n_y)) {
    if (!options.shrink_subset_size || std::min(n_x, n_y) < 2)
      fail("features", "KID subset size {} exceeds the number of samples ({} and {})", options.subset_size, n_x, n_y);
    out.subset_size = std::min(n_x, n_y);
    log::warn("kid: subset size {} lowered to {}, the size of the smaller set", options.subset_size, out.subset_size);
  }
  const at::Tensor a = x.to(at::kDouble), b = y.to(a.device(), at::kDouble);
  NumpyRandomState rng(options.seed);
  for (int64_t s = 0; s < options.subsets; ++s) {
    const auto index_x = rng.choice_without_replacement(n_x, out.subset_size);
    const auto index_y = rng.choice_without_replacement(n_y, out.subset_size);
    out.subset_values.push_back(
        polynomial_mmd2_unbiased(rows(a, index_x), rows(b, index_y), options.degree, options.gamma, options.coef0));
  }
  double sum = 0, sq = 0;
  for (double v : out.subset_values) sum += v;
  out.mean = sum / options.subsets;
  for (double v : out.subset_values) sq += (v - out.mean) * (v - out.mean);
  out.std = std::sqrt(sq / options.subsets);
  return out;
}

KidMetric::KidMetric(at::Tensor reference, KidOptions options) : reference_(std::move(reference)), options_(options) {
  check_kid_features(reference_, "reference features");
}

void KidMetric::update(const at::Tensor& features) {
  check_kid_features(features, "features");
  if (features.size(1) != reference_.size(1))
    fail("features", "dimension {} differs from the reference's {}", features.size(1), reference_.size(1));
  batches_.push_back(features.detach().clone());
}

void KidMetric::merge(const Metric& other) {
  const auto* same = dynamic_cast<const KidMetric*>(&other);
  if (same == nullptr || same->options_.to_json() != options_.to_json() ||
      !same->reference_.sizes().equals(reference_.sizes()) || !at::equal(same->reference_, reference_))
    fail("kid", "cannot merge metric '{}' with another reference or other options", other.name());
  for (const auto& b : same->batches_) update(b);
}

nlohmann::json KidMetric::finalize() const {
  if (batches_.empty()) fail("kid", "no features were given");
  const auto features = at::cat(batches_, 0);
  const auto result = kernel_inception_distance(features, reference_, options_);
  return {{kKeyKidMean, result.mean},
          {kKeyKidStd, result.std},
          {"subset_size", result.subset_size},
          {"count", features.size(0)},
          {"reference_count", reference_.size(0)},
          {"options", options_.to_json()}};
}

}  // namespace latentlab::metrics
