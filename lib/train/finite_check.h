// Non-finite-loss detection: a NaN or infinite loss term stops training with the step and the term that blew
// up, before any optimiser step or checkpoint of that step, so the last checkpoint on disk stays the last good
// one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace latentlab::train {

using LossTerms = std::vector<std::pair<std::string, double>>;

// The first term (in order) that is NaN or ±inf.
std::optional<std::pair<std::string, double>> first_non_finite(const LossTerms& terms);
// Throws UserError (subject "loss") naming the term, its value, the step and `last_checkpoint` ("none" when
// empty) if a term is not finite.
void check_finite(const LossTerms& terms, int64_t step, const std::string& last_checkpoint);

}  // namespace latentlab::train
