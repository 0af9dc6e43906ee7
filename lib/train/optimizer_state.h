// An optimiser's complete state (hyper-parameters and per-parameter moments, in parameter order) as bytes,
// through LibTorch's own archive format, so that it travels inside a checkpoint as one uint8 array.
#pragma once

#include <string>

#include "io/array.h"

namespace torch::optim {
class Optimizer;
}

namespace latentlab::train {

io::Array optimizer_state_array(const torch::optim::Optimizer& optimizer);
// The optimiser must have the same parameter groups and shapes; a bad array is a UserError naming `subject`.
void load_optimizer_state(torch::optim::Optimizer& optimizer, const io::Array& array, const std::string& subject);

}  // namespace latentlab::train
