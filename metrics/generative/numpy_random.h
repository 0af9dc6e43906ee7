// numpy's legacy RandomState (MT19937) as far as the metric protocols use it: torch-fidelity shuffles IS
// features with RandomState(2020).permutation(N) and draws KID subsets with RandomState(2020).choice(N, m,
// replace=False), which for the legacy generator is permutation(N)[:m]. Reproducing the draws bit for bit
// makes the subsets, and so the numbers, identical to torch-fidelity's.
//
// Source: numpy/random/mtrand.pyx (RandomState.shuffle -> _shuffle_raw, Fisher-Yates from the end) and
// numpy/random/src/distributions/distributions.c (random_interval: mask rejection on 32-bit draws while the
// bound fits in 32 bits), numpy 1.17-2.x, BSD-3-Clause. The integer seed initialises MT19937 exactly like
// std::mt19937 (init_genrand). Checked against numpy in tests/unit/metrics/numpy_random_test.cpp.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace latentlab::metrics {

class NumpyRandomState {
 public:
  explicit NumpyRandomState(uint32_t seed) : engine_(seed) {}
  // An integer in [0, max], as numpy's random_interval(max).
  uint64_t interval(uint64_t max);
  // numpy.random.RandomState.permutation(n).
  std::vector<int64_t> permutation(int64_t n);
  // numpy.random.RandomState.choice(n, size, replace=False) (legacy: the first `size` of a permutation).
  std::vector<int64_t> choice_without_replacement(int64_t n, int64_t size);

 private:
  std::mt19937 engine_;
};

}  // namespace latentlab::metrics
