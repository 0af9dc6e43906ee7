#include "metrics/generative/numpy_random.h"

#include <numeric>
#include <utility>

#include "core/error.h"

namespace latentlab::metrics {

uint64_t NumpyRandomState::interval(uint64_t max) {
  if (max == 0) return 0;
  uint64_t mask = max;
  for (int shift = 1; shift <= 32; shift *= 2) mask |= mask >> shift;
  uint64_t value;
  if (max <= 0xffffffffULL) {
    while ((value = (static_cast<uint64_t>(engine_()) & mask)) > max) {
    }
  } else {
    // numpy's next_uint64 for MT19937: two 32-bit draws, the first one high.
    do {
      const uint64_t high = engine_(), low = engine_();
      value = ((high << 32) | low) & mask;
    } while (value > max);
  }
  return value;
}

std::vector<int64_t> NumpyRandomState::permutation(int64_t n) {
  LATENTLAB_ASSERT(n >= 0, "permutation of {} elements", n);
  std::vector<int64_t> out(static_cast<size_t>(n));
  std::iota(out.begin(), out.end(), int64_t{0});
  for (int64_t i = n - 1; i >= 1; --i) std::swap(out[i], out[interval(static_cast<uint64_t>(i))]);
  return out;
}

std::vector<int64_t> NumpyRandomState::choice_without_replacement(int64_t n, int64_t size) {
  LATENTLAB_ASSERT(size >= 0 && size <= n, "choice of {} from {} without replacement", size, n);
  auto out = permutation(n);
  out.resize(static_cast<size_t>(size));
  return out;
}

}  // namespace latentlab::metrics
