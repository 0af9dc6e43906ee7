// Non-finite-loss detection: a NaN or infinite loss term stops training with the step and the term that blew
// up, before any optimiser step or checkpoint of that step, so the last checkpoint on disk stays the last good
// one. In a data-parallel job the decision is collective: every rank learns that some rank's term blew up,
// and all stop at the same step with the same message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace latentlab::distributed {
class Communicator;
}

namespace latentlab::train {

using LossTerms = std::vector<std::pair<std::string, double>>;

// The first term (in order) that is NaN or ±inf.
std::optional<std::pair<std::string, double>> first_non_finite(const LossTerms& terms);
// Throws UserError (subject "loss") naming the term, its value, the step and `last_checkpoint` ("none" when
// empty) if a term is not finite.
void check_finite(const LossTerms& terms, int64_t step, const std::string& last_checkpoint);

// check_finite for every rank of a job at once, folded into the all-reduce that averages the terms for the
// log: next to the terms' sums travel, per rank, the position and the value of its first non-finite term
// (zeros from the others), so every rank sees which ranks blew up. If any did, all ranks throw the same
// UserError (subject "loss") naming the step, each such rank's term and value, and `last_checkpoint`; else
// each term becomes its mean over ranks. The terms must be the same names in the same order on every rank.
// With one process: check_finite, the terms unchanged.
void average_and_check_finite(distributed::Communicator& communicator, LossTerms& terms, int64_t step,
                              const std::string& last_checkpoint);

}  // namespace latentlab::train
