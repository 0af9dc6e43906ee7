// Parameters made constants for a scope: requires_grad is set false on construction and restored on
// destruction. A forward inside the scope records no gradient edge to them, so a later backward through its
// output neither computes nor accumulates their gradients, while gradients still flow through to the inputs
// (the generator step's pass through the discriminator).
#pragma once

#include <vector>

#include <ATen/core/Tensor.h>

namespace latentlab::train {

class FrozenParameters {
 public:
  explicit FrozenParameters(std::vector<at::Tensor> parameters);
  ~FrozenParameters();
  FrozenParameters(const FrozenParameters&) = delete;
  FrozenParameters& operator=(const FrozenParameters&) = delete;

 private:
  std::vector<at::Tensor> frozen_;  // those that required grad before
};

}  // namespace latentlab::train
