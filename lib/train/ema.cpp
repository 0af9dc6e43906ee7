#include "train/ema.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/nn/module.h>

#include "core/error.h"
#include "io/tensor_convert.h"

namespace latentlab::train {
namespace {

std::vector<std::pair<std::string, at::Tensor>> named_state(torch::nn::Module& module) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& item : module.named_parameters()) out.emplace_back(item.key(), item.value());
  for (const auto& item : module.named_buffers()) out.emplace_back(item.key(), item.value());
  return out;
}

}  // namespace

Ema::Ema(torch::nn::Module& module, double decay) : decay_(decay) {
  if (!(decay > 0.0 && decay < 1.0)) fail_usage("--ema", "must be in (0, 1) (0 turns EMA off), got {}", decay);
  at::NoGradGuard no_grad;
  for (const auto& [name, value] : named_state(module)) shadow_.emplace_back(name, value.detach().clone());
}

void Ema::update(torch::nn::Module& module) {
  at::NoGradGuard no_grad;
  const auto current = named_state(module);
  LATENTLAB_ASSERT(current.size() == shadow_.size(), "EMA over a module of another structure");
  // Multi-tensor kernels (two launches on CUDA rather than two per tensor), the same arithmetic as
  // shadow.mul_(decay).add_(value, 1 - decay).
  std::vector<at::Tensor> shadows, values;
  for (size_t i = 0; i < current.size(); ++i) {
    auto& shadow = shadow_[i].second;
    if (at::isFloatingType(shadow.scalar_type())) {
      shadows.push_back(shadow);
      values.push_back(current[i].second.detach());
    } else {
      shadow.copy_(current[i].second);
    }
  }
  if (shadows.empty()) return;  // the foreach ops refuse empty lists
  at::_foreach_mul_(shadows, decay_);
  at::_foreach_add_(shadows, values, 1.0 - decay_);
}

void Ema::copy_to(torch::nn::Module& module) const {
  at::NoGradGuard no_grad;
  const auto target = named_state(module);
  LATENTLAB_ASSERT(target.size() == shadow_.size(), "EMA copied into a module of another structure");
  for (size_t i = 0; i < target.size(); ++i) target[i].second.copy_(shadow_[i].second);
}

io::NamedArrays Ema::state_arrays() const {
  io::NamedArrays out;
  for (const auto& [name, value] : shadow_) {
    auto cpu = value.to(at::kCPU);
    if (at::isFloatingType(cpu.scalar_type())) cpu = cpu.to(at::kFloat);
    out.emplace_back(name, io::to_array(cpu.contiguous(), name));
  }
  return out;
}

void Ema::load_state(const io::NamedArrays& arrays, const std::string& subject) {
  if (arrays.size() != shadow_.size())
    fail(subject, "EMA holds {} tensors, the model has {}", arrays.size(), shadow_.size());
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < arrays.size(); ++i) {
    const auto& [name, array] = arrays[i];
    auto& [want_name, shadow] = shadow_[i];
    const at::Tensor value = io::to_tensor(array);
    if (name != want_name || value.sizes() != shadow.sizes())
      fail(subject, "EMA tensor {} '{}' does not match the model's '{}'", i, name, want_name);
    shadow.copy_(value);
  }
}

}  // namespace latentlab::train
