// An exponential moving average of a module's weights: shadow ← decay·shadow + (1 − decay)·value after every
// optimiser step, for every parameter and every floating buffer (REPA-E also averages BatchNorm statistics);
// integer buffers (num_batches_tracked) are copied. The shadow starts as a copy of the module.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "io/array.h"

namespace torch::nn {
class Module;
}

namespace latentlab::train {

class Ema {
 public:
  // UserError naming `--ema` unless 0 < decay < 1.
  Ema(torch::nn::Module& module, double decay);

  void update(torch::nn::Module& module);
  // Copies the shadow into `module` (same structure), e.g. to save the averaged weights.
  void copy_to(torch::nn::Module& module) const;

  double decay() const { return decay_; }
  // The shadow under the module's names, float32 CPU (integer buffers keep their type).
  io::NamedArrays state_arrays() const;
  // Strict: the same names and shapes as the module; errors name `subject`.
  void load_state(const io::NamedArrays& arrays, const std::string& subject);

 private:
  double decay_;
  std::vector<std::pair<std::string, at::Tensor>> shadow_;
};

}  // namespace latentlab::train
