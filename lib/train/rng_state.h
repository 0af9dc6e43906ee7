// Random-generator states for exact resume: the global CPU generator, every CUDA device's default generator,
// and any torch::Generator a trainer draws from (posterior samples, noise injection), each as the uint8
// state tensor get_state() returns, under "rng.<name>" ("rng.cpu", "rng.cuda:0", "rng.train").
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Generator.h>

#include "io/array.h"

namespace latentlab::train {

using NamedGenerators = std::vector<std::pair<std::string, at::Generator>>;

io::NamedArrays capture_rng_states(const NamedGenerators& generators);
// Sets every generator whose "rng.<name>" is in `arrays`; a missing state for a named generator (or for a
// CUDA device in use) is a UserError naming `subject`. Entries not starting with "rng." are ignored.
void restore_rng_states(const io::NamedArrays& arrays, const NamedGenerators& generators, const std::string& subject);

}  // namespace latentlab::train
