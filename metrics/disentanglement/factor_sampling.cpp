#include "metrics/disentanglement/factor_sampling.h"

#include <ATen/ATen.h>

#include "core/error.h"

namespace latentlab::metrics {

void check_factor_sizes(const std::vector<int64_t>& factor_sizes) {
  if (factor_sizes.empty()) fail("factor sizes", "no factors");
  for (size_t k = 0; k < factor_sizes.size(); ++k)
    if (factor_sizes[k] < 1) fail("factor sizes", "factor {} has {} values", k, factor_sizes[k]);
}

void sample_factor_rows(const std::vector<int64_t>& factor_sizes, int64_t rows, std::mt19937_64& rng,
                        std::vector<int64_t>& out) {
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t size : factor_sizes) out.push_back(std::uniform_int_distribution<int64_t>(0, size - 1)(rng));
}

at::Tensor represent_checked(const RepresentFn& represent, const std::vector<int64_t>& factors, int64_t rows,
                             int64_t num_factors, int64_t expected_codes) {
  LATENTLAB_ASSERT(static_cast<int64_t>(factors.size()) == rows * num_factors, "factor buffer size");
  const auto f = at::tensor(factors, at::kLong).view({rows, num_factors});
  const auto codes = represent(f);
  if (!codes.defined() || codes.dim() != 2 || codes.size(0) != rows)
    fail("representation", "the encoder returned a {}-D result for {} factor rows (expected ({}, codes))",
         codes.defined() ? codes.dim() : 0, rows, rows);
  if (expected_codes > 0 && codes.size(1) != expected_codes)
    fail("representation", "the encoder returned {} codes, earlier {}", codes.size(1), expected_codes);
  auto out = codes.to(at::kCPU, at::kDouble).contiguous();
  if (!at::isfinite(out).all().item<bool>()) fail("representation", "the encoder returned NaN or infinite codes");
  return out;
}

}  // namespace latentlab::metrics
