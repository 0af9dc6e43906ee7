#include "diffusion/sit_velocity.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include "models/sit.h"

namespace latentlab::diffusion {

VelocityFn sit_velocity(const models::SiT& sit) {
  return [&sit](const at::Tensor& x, double t, const at::Tensor& labels) {
    c10::NoGradGuard no_grad;
    const c10::Device device = sit.device();
    const at::Tensor input = x.to(device, at::kFloat);
    const at::Tensor times = at::full({x.size(0)}, t, at::TensorOptions().dtype(at::kFloat).device(device));
    models::SiTForwardOptions plain;
    plain.project = false;
    const at::Tensor v = sit.forward(input, times, labels.to(device), plain).prediction;
    return v.to(x.device(), at::kDouble);
  };
}

}  // namespace latentlab::diffusion
