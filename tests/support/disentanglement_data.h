// Synthetic inputs shared by the disentanglement metric tests (DCI, SAP, modularity).
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

namespace latentlab::testing {

// The n × n identity as rows: the perfectly disentangled importance / mutual-information matrix.
inline std::vector<std::vector<double>> identity_rows(int n) {
  std::vector<std::vector<double>> m(n, std::vector<double>(n, 0.0));
  for (int i = 0; i < n; ++i) m[i][i] = 1.0;
  return m;
}

// n samples of k independent discrete factors with 10 values each, drawn from `seed`.
inline at::Tensor random_factors(int64_t n, int64_t k, uint64_t seed) {
  at::manual_seed(seed);
  return at::randint(10, {n, k}, at::kLong);
}

}  // namespace latentlab::testing
