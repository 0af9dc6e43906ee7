#include "distributed/batch_split.h"

#include "core/error.h"

namespace latentlab::distributed {

namespace {

// SplitMix64 (Steele, Lea, Flood 2014): a tiny generator whose output is fixed by its definition.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound) without modulo bias (rejection of the short tail).
  uint64_t below(uint64_t bound) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x;
    do x = next();
    while (x >= limit);
    return x % bound;
  }
};

}  // namespace

void validate(const BatchPlan& plan, int world_size, const char* batch_option) {
  if (plan.global_batch <= 0) fail_usage(batch_option, "{} is not a positive batch size", plan.global_batch);
  if (plan.global_batch > plan.dataset_size)
    fail_usage(batch_option, "{} is larger than the dataset ({} samples)", plan.global_batch, plan.dataset_size);
  if (plan.global_batch % world_size != 0)
    fail_usage(batch_option, "the global batch {} does not split evenly over WORLD_SIZE={} ranks", plan.global_batch,
               world_size);
}

std::vector<int64_t> epoch_permutation(int64_t dataset_size, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(dataset_size));
  for (int64_t i = 0; i < dataset_size; ++i) order[static_cast<size_t>(i)] = i;
  SplitMix64 random{seed ^ (0xD1B54A32D192ED03ull * static_cast<uint64_t>(epoch + 1))};
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[random.below(i)]);
  return order;
}

std::vector<int64_t> global_batch(const BatchPlan& plan, int64_t step) {
  validate(plan, 1);
  const int64_t epoch = step / plan.steps_per_epoch();
  const int64_t first = step % plan.steps_per_epoch() * plan.global_batch;
  const std::vector<int64_t> order = epoch_permutation(plan.dataset_size, plan.seed, epoch);
  return {order.begin() + first, order.begin() + first + plan.global_batch};
}

std::vector<int64_t> rank_batch(const BatchPlan& plan, int64_t step, int rank, int world_size) {
  validate(plan, world_size);
  LATENTLAB_ASSERT(rank >= 0 && rank < world_size, "rank {} of {}", rank, world_size);
  const std::vector<int64_t> batch = global_batch(plan, step);
  std::vector<int64_t> mine;
  for (size_t i = static_cast<size_t>(rank); i < batch.size(); i += static_cast<size_t>(world_size))
    mine.push_back(batch[i]);
  return mine;
}

}  // namespace latentlab::distributed
