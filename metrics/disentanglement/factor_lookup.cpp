#include "metrics/disentanglement/factor_lookup.h"

#include <algorithm>

#include <ATen/ATen.h>

#include "core/error.h"
#include "metrics/disentanglement/codes.h"

namespace latentlab::metrics {
namespace {

int64_t pick(const std::vector<int64_t>& rows, std::mt19937_64& rng) {
  return rows[std::uniform_int_distribution<size_t>(0, rows.size() - 1)(rng)];
}

// Factors a request group holds fixed (see the header): FactorVAE — equal on every row of the group;
// β-VAE — equal within every pair. A group of one row holds nothing.
std::vector<uint8_t> held_factors(const int64_t* f, int64_t rows, int64_t k_count, RequestLayout layout) {
  std::vector<uint8_t> hold(k_count, 0);
  if (rows < 2) return hold;
  for (int64_t k = 0; k < k_count; ++k) {
    bool same = true;
    if (layout == RequestLayout::FactorVaeGroups) {
      for (int64_t i = 1; i < rows && same; ++i) same = f[i * k_count + k] == f[k];
    } else {
      const int64_t half = rows / 2;
      for (int64_t i = 0; i < half && same; ++i) same = f[i * k_count + k] == f[(half + i) * k_count + k];
    }
    hold[k] = same;
  }
  return hold;
}

}  // namespace

FactorLookup::FactorLookup(const at::Tensor& factors, const std::string& subject) {
  if (!factors.defined() || factors.dim() != 2 || factors.size(1) < 1)
    fail(subject, "factors must be an (N, K) matrix with K >= 1");
  rows_ = factors.size(0);
  if (rows_ < 2) fail(subject, "needs at least 2 rows with factors, got {}", rows_);
  const auto columns = factor_columns(factors, rows_, subject);
  int64_t product = 1;
  bool product_fits = true;
  for (const auto& column : columns) {
    auto labels = dense_labels(column);
    sizes_.push_back(labels.num_classes());
    values_.push_back(labels.classes);
    std::vector<std::vector<int64_t>> rows_of(labels.num_classes());
    for (int64_t n = 0; n < rows_; ++n) rows_of[labels.ids[n]].push_back(n);
    with_value_.push_back(std::move(rows_of));
    ids_.push_back(std::move(labels.ids));
    product_fits = product_fits && product <= rows_ / sizes_.back();
    product *= sizes_.back();
  }
  if (!product_fits) return;  // more combinations than rows: cannot be the full product
  for (int64_t n = 0; n < rows_; ++n) {
    int64_t code = 0;
    for (size_t k = 0; k < sizes_.size(); ++k) code = code * sizes_[k] + ids_[k][n];
    by_tuple_[code].push_back(n);
  }
  full_product_ = static_cast<int64_t>(by_tuple_.size()) == product;
  if (!full_product_) by_tuple_.clear();
}

int64_t FactorLookup::exact_row(const int64_t* tuple, std::mt19937_64& rng) const {
  LATENTLAB_ASSERT(full_product_, "exact lookup without the full factor product");
  int64_t code = 0;
  for (size_t k = 0; k < sizes_.size(); ++k) {
    LATENTLAB_ASSERT(tuple[k] >= 0 && tuple[k] < sizes_[k], "factor id out of range");
    code = code * sizes_[k] + tuple[k];
  }
  return pick(by_tuple_.at(code), rng);
}

int64_t FactorLookup::row_sharing(const int64_t* tuple, const std::vector<uint8_t>& hold, std::mt19937_64& rng,
                                  bool& relaxed) const {
  relaxed = false;
  std::vector<size_t> held;
  for (size_t k = 0; k < sizes_.size(); ++k) {
    LATENTLAB_ASSERT(tuple[k] >= 0 && tuple[k] < sizes_[k], "factor id out of range");
    if (hold[k]) held.push_back(k);
  }
  if (held.empty()) return std::uniform_int_distribution<int64_t>(0, rows_ - 1)(rng);
  // Candidates: the rows of the rarest held value that also share the other held values.
  const size_t rarest = *std::min_element(held.begin(), held.end(), [&](size_t a, size_t b) {
    return with_value_[a][tuple[a]].size() < with_value_[b][tuple[b]].size();
  });
  const auto& base = with_value_[rarest][tuple[rarest]];
  auto matches = [&](int64_t n) {
    int64_t m = 0;
    for (size_t k : held) m += ids_[k][n] == tuple[k];
    return m;
  };
  if (held.size() == 1) return pick(base, rng);  // every value is present, so never empty
  std::vector<int64_t> candidates;
  for (int64_t n : base)
    if (matches(n) == static_cast<int64_t>(held.size())) candidates.push_back(n);
  if (!candidates.empty()) return pick(candidates, rng);
  relaxed = true;
  int64_t best = -1;
  for (int64_t n = 0; n < rows_; ++n) {
    const int64_t m = matches(n);
    if (m > best) best = m, candidates.clear();
    if (m == best) candidates.push_back(n);
  }
  return pick(candidates, rng);
}

RepresentFn lookup_represent(std::shared_ptr<const FactorLookup> lookup, at::Tensor codes, RequestLayout layout,
                             int64_t batch_size, uint64_t seed, std::shared_ptr<LookupCounters> counters) {
  LATENTLAB_ASSERT(lookup && codes.dim() == 2 && codes.size(0) == lookup->rows() && batch_size >= 1,
                   "lookup_represent arguments");
  auto rng = std::make_shared<std::mt19937_64>(seed);
  return [lookup, codes, layout, batch_size, rng, counters](const at::Tensor& factors) {
    const auto f = factors.to(at::kCPU, at::kLong).contiguous();
    const int64_t rows = f.size(0), k_count = f.size(1);
    LATENTLAB_ASSERT(k_count == static_cast<int64_t>(lookup->factor_sizes().size()), "factor count");
    const int64_t* data = f.data_ptr<int64_t>();
    const int64_t group = layout == RequestLayout::FactorVaeGroups ? batch_size : 2 * batch_size;
    std::vector<int64_t> picked(rows);
    int64_t relaxed_count = 0;
    for (int64_t start = 0; start < rows; start += group) {
      const int64_t size = std::min(group, rows - start);
      const auto hold =
          lookup->full_product() ? std::vector<uint8_t>() : held_factors(data + start * k_count, size, k_count, layout);
      for (int64_t i = start; i < start + size; ++i) {
        bool relaxed = false;
        picked[i] = lookup->full_product() ? lookup->exact_row(data + i * k_count, *rng)
                                           : lookup->row_sharing(data + i * k_count, hold, *rng, relaxed);
        relaxed_count += relaxed;
      }
    }
    if (counters) {
      counters->requests += rows;
      counters->relaxed += relaxed_count;
    }
    return codes.index_select(0, at::tensor(picked, at::kLong));
  };
}

}  // namespace latentlab::metrics
