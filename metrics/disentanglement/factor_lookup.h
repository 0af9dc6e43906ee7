// The representation callback of the interventional scores (β-VAE, FactorVAE; factor_sampling.h) for data
// that is a finite set of stored examples — a latent store of a procedural dataset — instead of a
// renderer. Rows are indexed by their factor tuple; factors are mapped to dense ids of the values present
// (codes.h), and those are the factor sizes the scores draw from.
//   exact:  the stored rows hold the full product of the present values (e.g. `shapes:grid` or
//           `dsprites:grid`): every requested factor vector is answered by a stored row with exactly that
//           tuple (uniformly among duplicates).
//   shared: otherwise no row exists for most requested vectors. What the scores need is only that the
//           observations of a group share the factor value the score holds fixed, so each requested row is
//           answered by a uniformly drawn stored row that shares the values the group holds fixed; its other
//           factors follow the stored rows' distribution instead of the uniform draw. The fixed factors of
//           a group are read from the request layout of the score (below): in a FactorVAE group the
//           factors constant over the group's batch_size rows; in a β-VAE point (2 x batch_size rows, pair i
//           = rows i and batch_size + i) the factors equal within every pair. A factor that is equal only by
//           chance is held too (the exact route would hold it as well). When no stored row shares every held
//           value, the rows sharing most of them are used and the request counts as `relaxed`.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <ATen/core/Tensor.h>

#include "metrics/disentanglement/factor_sampling.h"

namespace latentlab::metrics {

class FactorLookup {
 public:
  // factors: (N, K) integers, one row per stored example; `subject` names their source in errors.
  FactorLookup(const at::Tensor& factors, const std::string& subject);

  const std::vector<int64_t>& factor_sizes() const { return sizes_; }
  const std::vector<std::vector<int64_t>>& factor_values() const { return values_; }  // value of each dense id
  bool full_product() const { return full_product_; }
  int64_t rows() const { return rows_; }

  // A stored row with exactly this tuple of dense ids (needs full_product()).
  int64_t exact_row(const int64_t* tuple, std::mt19937_64& rng) const;
  // A stored row sharing tuple[k] for every k with hold[k]; `relaxed` is set when none shares all.
  int64_t row_sharing(const int64_t* tuple, const std::vector<uint8_t>& hold, std::mt19937_64& rng,
                      bool& relaxed) const;

 private:
  int64_t rows_ = 0;
  std::vector<int64_t> sizes_;
  std::vector<std::vector<int64_t>> values_;
  std::vector<std::vector<int32_t>> ids_;                       // [k][row]
  std::vector<std::vector<std::vector<int64_t>>> with_value_;   // [k][value] -> rows
  std::unordered_map<int64_t, std::vector<int64_t>> by_tuple_;  // mixed-radix tuple -> rows (full product only)
  bool full_product_ = false;
};

// How a score lays out the factor rows of one represent() call (factor_vae.cpp, beta_vae.cpp).
enum class RequestLayout {
  FactorVaeGroups,  // consecutive groups of batch_size rows (the variance estimate uses the same chunks)
  BetaVaePairs,     // points of 2 x batch_size rows: pair i = rows i and batch_size + i
};

struct LookupCounters {
  int64_t requests = 0, relaxed = 0;
};

// represent(factors) for the scores: looks rows up in `lookup` and returns those rows of `codes` ((N, J),
// row n = stored example n). Draws with std::mt19937_64(seed); counts into *counters when given.
RepresentFn lookup_represent(std::shared_ptr<const FactorLookup> lookup, at::Tensor codes, RequestLayout layout,
                             int64_t batch_size, uint64_t seed, std::shared_ptr<LookupCounters> counters);

}  // namespace latentlab::metrics
