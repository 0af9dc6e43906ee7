// One VaeTrainer step (REPA-E's order): the VAE (generator) forward and loss, its AdamW step, then the
// discriminator's own step on x and x̂.detach() when the GAN is on. Loss formulas: docs/training.md.
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/nn/module.h>

#include "core/error.h"
#include "models/gan_losses.h"
#include "models/sendvae_mapper_alignment.h"
#include "train/frozen_parameters.h"
#include "train/step_tail.h"
#include "train/vae_trainer_state.h"

namespace latentlab::train {
namespace {

// By value: named_parameters() returns a temporary dictionary.
at::Tensor parameter(torch::nn::Module& module, const std::string& name) {
  const auto params = module.named_parameters();
  const at::Tensor* p = params.find(name);
  LATENTLAB_ASSERT(p != nullptr, "no parameter {}", name);
  return *p;
}

// The Send-VAE alignment: the mapper on the noised normalised latent against the teacher's patch tokens.
at::Tensor alignment_loss(VaeTrainer::State& s, const at::Tensor& x, const at::Tensor& z) {
  const int64_t p = s.mapper_patch(), rows = z.size(2) / p, cols = z.size(3) / p;
  at::Tensor teacher_tokens;
  {
    at::NoGradGuard no_grad;
    teacher_tokens = s.teacher->patch_tokens(x, rows, cols).to(at::kFloat);
  }
  at::Tensor tokens;
  {
    const auto autocast = autocast_scope(s.precision, s.device.type());
    const at::Tensor normalized = s.mapper->normalize(z);
    tokens = s.mapper->map(s.o.noise_injection ? s.noised_latent(normalized) : normalized).to(at::kFloat);
  }
  return models::sendvae_alignment_loss(tokens, teacher_tokens, rows, cols);
}

// The VA-VAE VF loss on the projected latent; appends its terms and returns weight · L_vf.
at::Tensor vf_term(VaeTrainer::State& s, const at::Tensor& x, const at::Tensor& z, const at::Tensor& nll,
                   LossTerms& terms) {
  const auto& o = s.o;
  models::VFLossOptions vf;
  vf.cos_margin = o.vf_cos_margin;
  vf.distmat_margin = o.vf_distmat_margin;
  vf.cos_weight = o.vf_cos_weight;
  vf.distmat_weight = o.vf_distmat_weight;
  vf.vf_weight = o.vf_weight;
  at::Tensor teacher_tokens;
  {
    at::NoGradGuard no_grad;
    teacher_tokens = s.teacher->patch_tokens(x, z.size(2), z.size(3)).to(at::kFloat);
  }
  const auto terms_vf = models::vf_loss(s.proj->forward(z), teacher_tokens, vf);
  const at::Tensor weight =
      o.vf_adaptive
          ? models::vf_adaptive_weight(nll, terms_vf.total, parameter(s.vae.module(), "encoder.conv_out.weight"), vf)
          : at::full({}, o.vf_weight, terms_vf.total.options());
  terms.emplace_back("vf", terms_vf.total.item<double>());
  terms.emplace_back("vf_cos", terms_vf.cosine.item<double>());
  terms.emplace_back("vf_distmat", terms_vf.distmat.item<double>());
  terms.emplace_back("vf_weight", weight.item<double>());
  return weight * terms_vf.total;
}

// The discriminator's step on x and x̂.detach(); appends the `disc` term.
void discriminator_step(VaeTrainer::State& s, const at::Tensor& x, const at::Tensor& reconstruction, LossTerms& terms) {
  at::Tensor d_loss;
  {
    const auto autocast = autocast_scope(s.precision, s.device.type());
    const at::Tensor real = s.disc.forward(x).to(at::kFloat);
    const at::Tensor fake = s.disc.forward(reconstruction.detach()).to(at::kFloat);
    d_loss = models::discriminator_loss(models::parse_discriminator_loss(s.o.disc_loss, "--disc-loss"), real, fake);
  }
  LossTerms disc{{"disc", d_loss.item<double>()}};
  // Collective, like the generator's terms: one rank's non-finite D loss stops every rank before D's step.
  average_and_check_finite(*s.comm, disc, s.step + 1, s.last_checkpoint);
  terms.push_back(disc.front());
  backward_and_step(*s.disc_opt, s.disc_sync.get(), d_loss, s.disc.module().parameters(), s.o.grad_clip);
}

}  // namespace

LossTerms VaeTrainer::train_step(const at::Tensor& images_uint8) {
  State& s = *s_;
  const auto& o = s.o;
  s.recovery.begin(s.step);
  const double lr = apply_schedule(*s.vae_opt, o.schedule, o.lr, s.step);
  apply_schedule(*s.disc_opt, o.schedule, o.disc_lr > 0 ? o.disc_lr : o.lr, s.step);
  const bool gan_on = o.gan_weight > 0 && s.step >= o.gan_start;
  const at::Tensor x = to_float_images(images_uint8, s.device);

  models::Posterior posterior;
  at::Tensor z, reconstruction, logits_fake;
  {
    const auto autocast = autocast_scope(s.precision, s.device.type());
    const auto raw = s.vae.encode(x);
    posterior = {raw.mean.to(at::kFloat), raw.logvar.to(at::kFloat), raw.std.to(at::kFloat)};
    z = o.sample_posterior ? s.sample_posterior(posterior) : posterior.mean;
    reconstruction = s.vae.decode(z).to(at::kFloat);
    if (gan_on) {
      // The generator's loss needs D's input gradient only: with D's parameters frozen for this forward,
      // backward neither computes nor accumulates their gradients (the D step recomputes its own).
      const FrozenParameters frozen(o.disc_grads_in_generator_step ? std::vector<at::Tensor>{}
                                                                   : s.disc.module().parameters());
      logits_fake = s.disc.forward(reconstruction).to(at::kFloat);
    }
  }
  LossTerms terms;
  const at::Tensor pixel = pixel_loss(x, reconstruction, o.reconstruction, s.reduction);
  at::Tensor nll = o.reconstruction_weight * pixel;
  terms.emplace_back("pixel", pixel.item<double>());
  if (s.lpips) {
    const at::Tensor lp = lpips_loss(s.lpips->distance(x, reconstruction), x[0].numel(), s.reduction);
    nll = nll + o.lpips_weight * lp;
    terms.emplace_back("lpips", lp.item<double>());
  }
  const at::Tensor kl = kl_loss(posterior);
  at::Tensor total = nll + o.kl_weight * kl;
  terms.emplace_back("kl", kl.item<double>());
  if (gan_on) {
    const at::Tensor g = models::generator_loss(logits_fake, models::parse_generator_loss(o.gen_loss, "--gen-loss"));
    const at::Tensor weight =
        o.gan_adaptive
            ? models::adaptive_gan_weight(nll, g, parameter(s.vae.module(), "decoder.conv_out.weight"), o.gan_weight)
            : at::full({}, o.gan_weight, g.options());
    total = total + weight * g;
    terms.emplace_back("gan_g", g.item<double>());
    terms.emplace_back("gan_weight", weight.item<double>());
  }
  if (s.mapper) {
    const at::Tensor align = alignment_loss(s, x, z);
    total = total + o.align_weight * align;
    terms.emplace_back("align", align.item<double>());
  }
  if (s.proj) total = total + vf_term(s, x, z, nll, terms);
  terms.emplace_back("total", total.item<double>());
  // Before any rank steps: the global batch's terms for the log, and a stop on every rank at once when any
  // rank's term is not finite. Step 1-based, as in the log.
  average_and_check_finite(*s.comm, terms, s.step + 1, s.last_checkpoint);

  const auto norm = backward_and_step(*s.vae_opt, s.vae_sync.get(), total, s.vae_parameters(), o.grad_clip);
  s.recovery.stepped();  // the VAE's weights moved (its optimiser step holds no collective to fail in)
  if (norm) terms.emplace_back("grad_norm", *norm);  // of the averaged gradient: the same on every rank
  if (gan_on) discriminator_step(s, x, reconstruction, terms);
  s.average_batchnorm_buffers();  // before the EMA averages the buffers too
  if (s.ema) s.ema->update(s.vae.module());
  terms.emplace_back("lr", lr);
  ++s.step;
  s.last_terms = terms;
  return terms;
}

}  // namespace latentlab::train
