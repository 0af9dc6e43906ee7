// Random weights for tests of the FID Inception (lib/models/inception_fid*.cpp) and of what is built on it.
#pragma once

#include <string>

#include <torch/nn/module.h>
#include <torch/utils.h>

#include "models/inception_fid.h"

namespace latentlab::testing {

// Draws random batch-norm statistics and affine terms (running_var positive) and a random fc bias from the
// current at:: generator, so that loading each of these tensors matters.
inline void randomize_inception_batch_norms(models::InceptionFID& model) {
  torch::NoGradGuard no_grad;
  for (auto& item : model.named_parameters(true)) {
    const auto& name = item.key();
    if (name.find(".bn.weight") != std::string::npos) item.value().uniform_(0.5, 1.5);
    if (name.find(".bn.bias") != std::string::npos) item.value().uniform_(-0.2, 0.2);
    if (name == "fc.bias") item.value().uniform_(-0.5, 0.5);
  }
  for (auto& item : model.named_buffers(true)) {
    if (item.key().find("running_mean") != std::string::npos) item.value().uniform_(-0.2, 0.2);
    if (item.key().find("running_var") != std::string::npos) item.value().uniform_(0.5, 2.0);
  }
}

}  // namespace latentlab::testing
