// Splitting the global batch across ranks. Every epoch visits a permutation of [0, dataset_size) drawn from
// (seed, epoch) with a fixed generator (SplitMix64 + Fisher-Yates, the same on every platform and LibTorch
// version); step s of the epoch takes the global batch of positions [s*B, (s+1)*B) and rank r of n takes
// every n-th index of it starting at r (rank-strided). The union over ranks is exactly the batch one
// process would take, so training with n ranks on the global batch B equals one process on B when
// gradients are averaged (every rank holds B/n samples). The last partial batch of an epoch is dropped.
// Torch-free. Each call draws the epoch's permutation again (O(dataset size)); a trainer can keep
// epoch_permutation() per epoch and slice it itself.
#pragma once

#include <cstdint>
#include <vector>

namespace latentlab::distributed {

struct BatchPlan {
  int64_t dataset_size = 0;
  int64_t global_batch = 0;  // B: samples per optimiser step, all ranks together
  uint64_t seed = 0;

  int64_t steps_per_epoch() const { return dataset_size / global_batch; }
};

// Checks B <= dataset size and that B splits evenly over `world_size` ranks; throws UserError naming
// `batch_option` ("--batch-size") otherwise.
void validate(const BatchPlan& plan, int world_size, const char* batch_option = "--batch-size");

// The permutation of [0, dataset_size) for `epoch`.
std::vector<int64_t> epoch_permutation(int64_t dataset_size, uint64_t seed, int64_t epoch);
// The global batch of optimiser step `step` (counted from 0 across epochs): B dataset indices.
std::vector<int64_t> global_batch(const BatchPlan& plan, int64_t step);
// This rank's B / world_size indices of that batch: positions rank, rank + n, rank + 2n, ...
std::vector<int64_t> rank_batch(const BatchPlan& plan, int64_t step, int rank, int world_size);

}  // namespace latentlab::distributed
