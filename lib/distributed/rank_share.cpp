#include "distributed/rank_share.h"

#include <algorithm>

#include <ATen/ATen.h>

#include "distributed/communicator.h"

namespace latentlab::distributed {
at::Tensor rank_rows(const at::Tensor& global, int rank, int world_size) {
  if (world_size <= 1) return global;
  return global.slice(0, rank, global.size(0), world_size).contiguous();
}

void sum_values(Communicator& communicator, std::vector<double>& values) {
  if (!communicator.distributed() || values.empty()) return;
  at::Tensor buffer = at::tensor(values, at::kDouble).to(communicator.device());
  communicator.all_reduce(buffer);
  buffer = buffer.cpu().contiguous();
  std::copy(buffer.data_ptr<double>(), buffer.data_ptr<double>() + buffer.numel(), values.begin());
}

void average_values(Communicator& communicator, std::vector<double>& values) {
  if (!communicator.distributed()) return;
  sum_values(communicator, values);
  for (double& value : values) value /= communicator.world_size();
}

std::vector<std::pair<double, double>> value_ranges(Communicator& communicator, const std::vector<double>& values) {
  const size_t n = values.size();
  std::vector<double> both(2 * n);  // [values | -values]: max gives the largest, then minus the smallest
  for (size_t i = 0; i < n; ++i) both[i] = values[i], both[n + i] = -values[i];
  if (communicator.distributed() && n > 0) {
    at::Tensor buffer = at::tensor(both, at::kDouble).to(communicator.device());
    communicator.all_reduce(buffer, ReduceOp::Max);
    buffer = buffer.cpu().contiguous();
    std::copy(buffer.data_ptr<double>(), buffer.data_ptr<double>() + buffer.numel(), both.begin());
  }
  std::vector<std::pair<double, double>> ranges(n);
  for (size_t i = 0; i < n; ++i) ranges[i] = {-both[n + i], both[i]};
  return ranges;
}

uint64_t rank_step_seed(uint64_t seed, int64_t step, int rank) {
  // Odd multipliers (SplitMix64's) spread each input over all bits; folding the high half down matters
  // because LibTorch seeds its CPU generator (mt19937) with the low 32 bits only.
  const uint64_t h = seed * 0x9e3779b97f4a7c15ULL ^ static_cast<uint64_t>(step + 1) * 0xbf58476d1ce4e5b9ULL ^
                     static_cast<uint64_t>(rank + 1) * 0x94d049bb133111ebULL;
  return h ^ (h >> 32);
}

}  // namespace latentlab::distributed
