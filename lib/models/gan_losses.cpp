#include "models/gan_losses.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>

#include "core/error.h"

namespace latentlab::models {

DiscriminatorLoss parse_discriminator_loss(const std::string& name, const std::string& option) {
  if (name == "hinge") return DiscriminatorLoss::Hinge;
  if (name == "vanilla") return DiscriminatorLoss::Vanilla;
  fail_usage(option, "unknown discriminator loss '{}' (known: hinge, vanilla)", name);
}

GeneratorLoss parse_generator_loss(const std::string& name, const std::string& option) {
  if (name == "mean") return GeneratorLoss::Mean;
  if (name == "non-saturating") return GeneratorLoss::NonSaturating;
  fail_usage(option, "unknown generator loss '{}' (known: mean, non-saturating)", name);
}

at::Tensor hinge_d_loss(const at::Tensor& logits_real, const at::Tensor& logits_fake) {
  return 0.5 * (at::relu(1.0 - logits_real).mean() + at::relu(1.0 + logits_fake).mean());
}

at::Tensor vanilla_d_loss(const at::Tensor& logits_real, const at::Tensor& logits_fake) {
  return 0.5 * (at::softplus(-logits_real).mean() + at::softplus(logits_fake).mean());
}

at::Tensor discriminator_loss(DiscriminatorLoss kind, const at::Tensor& logits_real, const at::Tensor& logits_fake) {
  return kind == DiscriminatorLoss::Hinge ? hinge_d_loss(logits_real, logits_fake)
                                          : vanilla_d_loss(logits_real, logits_fake);
}

at::Tensor generator_loss(const at::Tensor& logits_fake, GeneratorLoss kind) {
  return kind == GeneratorLoss::Mean ? -logits_fake.mean() : at::softplus(-logits_fake).mean();
}

at::Tensor adaptive_weight(const at::Tensor& loss_ref, const at::Tensor& loss, const at::Tensor& layer,
                           double max_weight, double scale) {
  auto gradient = [&](const at::Tensor& l, const char* what) {
    const auto grads = torch::autograd::grad({l}, {layer}, /*grad_outputs=*/{}, /*retain_graph=*/true,
                                             /*create_graph=*/false, /*allow_unused=*/true);
    LATENTLAB_ASSERT(grads[0].defined(), "the {} loss does not depend on the adaptive-weight layer", what);
    return grads[0];
  };
  const at::Tensor g_ref = gradient(loss_ref, "reference");
  const at::Tensor g = gradient(loss, "weighted");
  return (at::clamp(g_ref.norm() / (g.norm() + 1e-4), 0.0, max_weight) * scale).detach();
}

at::Tensor adaptive_gan_weight(const at::Tensor& nll_loss, const at::Tensor& g_loss, const at::Tensor& last_layer,
                               double disc_weight) {
  return adaptive_weight(nll_loss, g_loss, last_layer, kGanAdaptiveWeightMax, disc_weight);
}

double disc_start_factor(double factor, int64_t step, int64_t start, double before) {
  return step < start ? before : factor;
}

}  // namespace latentlab::models
