#include "train/finite_check.h"

#include <cmath>

#include "core/error.h"

namespace latentlab::train {

std::optional<std::pair<std::string, double>> first_non_finite(const LossTerms& terms) {
  for (const auto& term : terms)
    if (!std::isfinite(term.second)) return term;
  return std::nullopt;
}

void check_finite(const LossTerms& terms, int64_t step, const std::string& last_checkpoint) {
  if (const auto bad = first_non_finite(terms))
    fail("loss", "term '{}' is {} at step {}; training stopped, the last good checkpoint is {}", bad->first,
         bad->second, step, last_checkpoint.empty() ? "none" : last_checkpoint);
}

}  // namespace latentlab::train
