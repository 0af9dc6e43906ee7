// A rank's share of per-step work in a data-parallel trainer, beyond gradients (gradient_sync.h):
//
// - Random draws that one process makes for the whole batch (a posterior sample's noise) must be the same
//   numbers on n ranks: every rank draws the global batch's noise from its copy of the trainer's generator
//   (identical on all ranks, so it stays identical) and keeps its own rows, rank, rank + n, ... — the rows
//   batch_split.h / the pipeline's shard give it. The n ranks then use exactly the single process's noise.
// - Per-rank scalars (loss terms for the log) are averaged over ranks, so rank 0 logs the global batch's
//   mean; with equal per-rank batches that is the single process's value.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

namespace latentlab::distributed {

class Communicator;

// Rows rank, rank + n, ... of `global` (dim 0); `global` itself with one process.
at::Tensor rank_rows(const at::Tensor& global, int rank, int world_size);

// Each value becomes its sum over ranks (one float64 all-reduce); unchanged with one process.
void sum_values(Communicator& communicator, std::vector<double>& values);
// Each value becomes its mean over ranks (one float64 all-reduce); unchanged with one process.
void average_values(Communicator& communicator, std::vector<double>& values);
// The smallest and the largest of each value over ranks (one float64 all-reduce of the values and their
// negatives, max); (value, value) with one process. Every rank must pass as many values. For checks that
// every rank holds the same numbers (sizes, statistics) before they train together.
std::vector<std::pair<double, double>> value_ranges(Communicator& communicator, const std::vector<double>& values);

// A seed for draws that must differ between ranks but repeat on a rerun: a hash of (seed, step, rank).
uint64_t rank_step_seed(uint64_t seed, int64_t step, int rank);

}  // namespace latentlab::distributed
