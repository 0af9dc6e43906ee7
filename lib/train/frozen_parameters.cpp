#include "train/frozen_parameters.h"

namespace latentlab::train {

FrozenParameters::FrozenParameters(std::vector<at::Tensor> parameters) {
  for (at::Tensor& p : parameters)
    if (p.requires_grad()) {
      p.set_requires_grad(false);
      frozen_.push_back(std::move(p));
    }
}

FrozenParameters::~FrozenParameters() {
  for (at::Tensor& p : frozen_) p.set_requires_grad(true);
}

}  // namespace latentlab::train
