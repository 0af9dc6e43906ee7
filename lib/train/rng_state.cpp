#include "train/rng_state.h"

#include <algorithm>
#include <mutex>

#include <ATen/ATen.h>
#include <ATen/Context.h>

#include "core/compat.h"
#include "core/error.h"
#include "io/tensor_convert.h"

namespace latentlab::train {
namespace {

// The process-wide generators next to the trainer's own.
NamedGenerators all_generators(const NamedGenerators& generators) {
  NamedGenerators all = {{"cpu", at::globalContext().defaultGenerator(at::Device(at::kCPU))}};
  for (int i = 0; i < compat::cuda_device_count(); ++i)
    all.emplace_back("cuda:" + std::to_string(i), at::globalContext().defaultGenerator(at::Device(at::kCUDA, i)));
  all.insert(all.end(), generators.begin(), generators.end());
  return all;
}

}  // namespace

io::NamedArrays capture_rng_states(const NamedGenerators& generators) {
  io::NamedArrays out;
  for (const auto& [name, generator] : all_generators(generators)) {
    at::Generator g = generator;
    std::lock_guard<std::mutex> lock(g.mutex());
    out.emplace_back("rng." + name, io::to_array(g.get_state().contiguous(), name));
  }
  return out;
}

void restore_rng_states(const io::NamedArrays& arrays, const NamedGenerators& generators, const std::string& subject) {
  for (const auto& [name, generator] : all_generators(generators)) {
    const auto it = std::find_if(arrays.begin(), arrays.end(), [&](const auto& a) { return a.first == "rng." + name; });
    if (it == arrays.end()) fail(subject, "holds no state for the random generator '{}'", name);
    at::Generator g = generator;
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_state(io::to_tensor(it->second).clone());
  }
}

}  // namespace latentlab::train
