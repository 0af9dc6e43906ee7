// The adversarial terms of the LDM / VA-VAE / REPA-E autoencoder losses (CompVis/taming-transformers and
// CompVis/latent-diffusion, MIT licence: taming/modules/losses/vqperceptual.py, ldm/modules/losses/
// contperceptual.py `LPIPSWithDiscriminator`). Logits are the PatchGAN's N×1×h×w maps (any shape works);
// every mean runs over all elements. Losses are 0-dim tensors that keep the autograd graph.
//
//   hinge D loss     ½ [mean relu(1 − D(x)) + mean relu(1 + D(x̂))]
//   vanilla D loss   ½ [mean softplus(−D(x)) + mean softplus(D(x̂))]   (the non-saturating / BCE form)
//   generator loss   −mean D(x̂)                                        (taming; "mean")
//                    mean softplus(−D(x̂))                               (non-saturating alternative)
//   adaptive weight  λ = clamp(‖∇_L nll‖ / (‖∇_L g‖ + 1e-4), 0, 1e4) · disc_weight, detached, where L is the
//                    last layer (the decoder's conv_out weight) and ‖·‖ the Frobenius norm
//   start factor     disc_factor when step ≥ disc_start, else 0 (taming's adopt_weight)
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

namespace latentlab::models {

enum class DiscriminatorLoss { Hinge, Vanilla };
enum class GeneratorLoss { Mean, NonSaturating };

// "hinge" | "vanilla"; "mean" | "non-saturating". A usage UserError naming `option` otherwise.
DiscriminatorLoss parse_discriminator_loss(const std::string& name, const std::string& option);
GeneratorLoss parse_generator_loss(const std::string& name, const std::string& option);

at::Tensor hinge_d_loss(const at::Tensor& logits_real, const at::Tensor& logits_fake);
at::Tensor vanilla_d_loss(const at::Tensor& logits_real, const at::Tensor& logits_fake);
at::Tensor discriminator_loss(DiscriminatorLoss kind, const at::Tensor& logits_real, const at::Tensor& logits_fake);
at::Tensor generator_loss(const at::Tensor& logits_fake, GeneratorLoss kind = GeneratorLoss::Mean);

// The gradient-balancing weight shared by the GAN and the VA-VAE VF terms:
// clamp(‖∂loss_ref/∂layer‖ / (‖∂loss/∂layer‖ + 1e-4), 0, max_weight) · scale, a detached 0-dim tensor.
// Both losses must depend on `layer` (a leaf parameter); their graphs are kept (retain_graph) so the
// caller's backward still works. An internal assertion fails when a loss does not reach `layer`.
at::Tensor adaptive_weight(const at::Tensor& loss_ref, const at::Tensor& loss, const at::Tensor& layer,
                           double max_weight, double scale);
inline constexpr double kGanAdaptiveWeightMax = 1e4;
// LDM's calculate_adaptive_weight: adaptive_weight(nll, g, last_layer, 1e4, disc_weight).
at::Tensor adaptive_gan_weight(const at::Tensor& nll_loss, const at::Tensor& g_loss, const at::Tensor& last_layer,
                               double disc_weight);

// taming's adopt_weight: `factor` from step `start` on, `before` (0) earlier.
double disc_start_factor(double factor, int64_t step, int64_t start, double before = 0.0);

}  // namespace latentlab::models
