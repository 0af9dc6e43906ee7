// Helpers shared by the nn block tests: parameter names of a module, and convolutions set to copy one tap.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/nn/module.h>

namespace latentlab::nn::testing {

// Names of all parameters of `m`, recursively ("conv.weight", ...).
inline std::set<std::string> parameter_names(torch::nn::Module& m) {
  std::set<std::string> out;
  for (const auto& p : m.named_parameters()) out.insert(p.key());
  return out;
}

// Sets a k×k conv to copy each channel from tap (r, c), bias 0.
inline void copy_tap(torch::nn::Module& conv, int64_t r, int64_t c) {
  at::NoGradGuard no_grad;
  auto w = conv.named_parameters()["weight"];
  w.zero_();
  for (int64_t i = 0; i < w.size(0); ++i) w[i][i][r][c] = 1.0;
  conv.named_parameters()["bias"].zero_();
}

}  // namespace latentlab::nn::testing
