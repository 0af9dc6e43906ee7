// The interventional scores (β-VAE, FactorVAE) need fresh observations with chosen factors. They reach the
// data and the encoder through one callback, so metrics/ never depends on datasets/ or models/:
//   represent(factors) -> codes
//     factors: (B, K) int64, factor k in 0..factor_sizes[k]-1 (class indices into the factor grid);
//     codes:   (B, J) floating, any device: the representation of one observation per row — render/look up
//              the observation with those factors (e.g. ShapesGenerator::render) and encode it (posterior
//              mean or a sample, as the caller chooses).
// This is disentanglement_lib's sample_observations_from_factors + representation_function. The scores
// draw the factor vectors themselves (uniform per factor, std::mt19937_64 seeded with the options' seed) and
// batch many points into one callback (`points_per_call`), so an encoder sees large batches.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include <ATen/core/Tensor.h>

namespace latentlab::metrics {

using RepresentFn = std::function<at::Tensor(const at::Tensor& factors)>;

// Checks factor sizes (each >= 1; at least one factor) and throws UserError naming "factor sizes".
void check_factor_sizes(const std::vector<int64_t>& factor_sizes);

// `rows` factor vectors drawn uniformly and independently per factor, as (rows, K) int64 values appended
// row-major to `out`.
void sample_factor_rows(const std::vector<int64_t>& factor_sizes, int64_t rows, std::mt19937_64& rng,
                        std::vector<int64_t>& out);

// Calls `represent` on (rows, K) factors and checks the result: (rows, J) with J == expected_codes when that
// is > 0; returns CPU float64 contiguous codes.
at::Tensor represent_checked(const RepresentFn& represent, const std::vector<int64_t>& factors, int64_t rows,
                             int64_t num_factors, int64_t expected_codes);

}  // namespace latentlab::metrics
