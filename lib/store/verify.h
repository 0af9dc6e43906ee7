// `store verify`: re-reads a whole store and checks what its attributes claim. Row counts against the
// datasets, every latent value (and teacher token) finite, and the per-channel statistics recomputed in float64 from
// the stored values against the stored ones.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace latentlab::store {

struct VerifyReport {
  std::string path;
  int64_t rows = 0;
  int64_t rows_read = 0;
  int64_t nonfinite = 0;              // NaN or Inf values over mean, std, teacher tokens and their flipped copies
  double max_statistics_error = 0;    // largest |stored - recomputed| / tolerance scale, over all statistics
  std::vector<std::string> problems;  // empty: the store is sound
  bool ok() const { return problems.empty(); }
};

// Tolerance: statistics agree when |stored - recomputed| <= 1e-9 x scale (scale: |value| + the channel's
// spread). Both sides are float64 Chan merges of the same values in different batchings; their difference
// is rounding, ~1e-15 relative, so 1e-9 only flags real disagreement.
constexpr double kStatisticsTolerance = 1e-9;

// Throws UserError when the store cannot be opened at all; otherwise lists the problems found.
VerifyReport verify_store(const std::string& path, int64_t batch_size = 1024);
nlohmann::json to_json(const VerifyReport& report);

}  // namespace latentlab::store
