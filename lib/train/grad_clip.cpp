#include "train/grad_clip.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "core/compat.h"

namespace latentlab::train {

at::Tensor clip_grad_norm(const std::vector<at::Tensor>& parameters, double max_norm) {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> grads;
  for (const auto& p : parameters)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return at::zeros({}, at::kDouble);
  const auto norms = at::_foreach_norm(grads, 2);
  const at::Tensor total = norms.size() == 1 ? norms[0] : at::stack(norms).norm(2);
  compat::foreach_mul_(grads, at::clamp(max_norm / (total + 1e-6), c10::nullopt, 1.0));
  return total;
}

}  // namespace latentlab::train
