// What sample number k of a seeded run is, independent of batching and sharding: its own CPU generator,
// seeded with splitmix64 of (seed, k), draws in order its label (uniform mode), its initial noise (float64)
// and then the SDE increments of every step. So a sample is the same whether it is drawn alone, in any
// batch, or in any shard, and `--shard i/n` runs concatenate to the unsharded run.
//
// Labels: "uniform" — uniform over the classes per sample (REPA/DiT's 50k protocol, TRAINING.md §6);
// "balanced" — label k mod num_classes, so every class appears ⌊N/C⌋ or ⌈N/C⌉ times.
// Shards (`--shard i/n`) are distributed::Shard: shard i of n holds the contiguous indices
// [⌊N·i/n⌋, ⌊N·(i+1)/n⌋) (distributed/shard.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

namespace latentlab::diffusion {

struct LabelOptions {
  std::string mode = "uniform";  // "uniform" | "balanced"
  int64_t num_classes = 1;
  static const std::vector<std::string>& modes();
};

// The seed of sample `index`'s generator.
uint64_t sample_seed(uint64_t seed, int64_t index);

struct SampleDraws {
  at::Tensor noise;                       // float64 count×shape…, the state at t = 1
  at::Tensor labels;                      // int64 count
  std::vector<at::Generator> generators;  // per sample, positioned after its noise (for the SDE)
};
// Samples [first, first + count) of the run seeded with `seed`, latents of `shape` (C×H×W).
SampleDraws draw_samples(int64_t first, int64_t count, const std::vector<int64_t>& shape, const LabelOptions& labels,
                         uint64_t seed);

}  // namespace latentlab::diffusion
