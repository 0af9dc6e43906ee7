#include "train/finite_check.h"

#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "distributed/communicator.h"
#include "distributed/rank_share.h"

namespace latentlab::train {
namespace {

std::string checkpoint_or_none(const std::string& last_checkpoint) {
  return last_checkpoint.empty() ? "none" : last_checkpoint;
}

}  // namespace

std::optional<std::pair<std::string, double>> first_non_finite(const LossTerms& terms) {
  for (const auto& term : terms)
    if (!std::isfinite(term.second)) return term;
  return std::nullopt;
}

void check_finite(const LossTerms& terms, int64_t step, const std::string& last_checkpoint) {
  if (const auto bad = first_non_finite(terms))
    fail("loss", "term '{}' is {} at step {}; training stopped, the last good checkpoint is {}", bad->first,
         bad->second, step, checkpoint_or_none(last_checkpoint));
}

void average_and_check_finite(distributed::Communicator& communicator, LossTerms& terms, int64_t step,
                              const std::string& last_checkpoint) {
  if (!communicator.distributed()) {
    check_finite(terms, step, last_checkpoint);
    return;
  }
  const size_t n = terms.size(), world = static_cast<size_t>(communicator.world_size());
  const size_t rank = static_cast<size_t>(communicator.rank());
  // [the terms | per rank: 1 + the index of its first non-finite term, 0 for none | per rank: that term's
  // value]. Each rank fills only its own slots, so the sums are the senders' numbers (NaN + 0 stays NaN).
  std::vector<double> values(n + 2 * world, 0.0);
  for (size_t i = 0; i < n; ++i) values[i] = terms[i].second;
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(terms[i].second)) {
      values[n + rank] = static_cast<double>(i + 1);
      values[n + world + rank] = terms[i].second;
      break;
    }
  distributed::sum_values(communicator, values);
  std::vector<std::string> blown;
  for (size_t r = 0; r < world; ++r)
    if (const auto index = static_cast<size_t>(values[n + r]); index > 0)
      blown.push_back(fmt::format("term '{}' is {} on rank {}", terms.at(index - 1).first, values[n + world + r], r));
  if (!blown.empty())
    fail("loss", "{} at step {}; training stopped on all {} ranks, the last good checkpoint is {}",
         fmt::join(blown, ", "), step, world, checkpoint_or_none(last_checkpoint));
  for (size_t i = 0; i < n; ++i) terms[i].second = values[i] / static_cast<double>(world);
}

}  // namespace latentlab::train
