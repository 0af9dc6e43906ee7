#include "train/vae_train_options.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "core/options.h"
#include "models/autoencoder_kl_config.h"
#include "models/gan_losses.h"
#include "models/teacher.h"
#include "train/option_checks.h"
#include "train/precision.h"

namespace latentlab::train {

void VaeTrainOptions::register_options(OptionGroup& g) {
  g.add("dataset", &dataset, "Training images: a dataset spec (shapes:res=32,n=4096, images:DIR, …)");
  g.add("preprocess", &preprocess, "Per-image preprocessing: none, adm-center-crop, resize-center-crop, center-crop");
  g.add("res", &resolution, "Image side for --preprocess (0 = as decoded; sides must be multiples of the VAE's f)");
  g.add("batch-size", &batch_size, "Images per optimiser step");
  g.add("data-threads", &data_threads, "Image decoding threads");
  g.add("preset", &preset,
        fmt::format("AutoencoderKL preset when --init is not given ({})",
                    fmt::join(models::AutoencoderKLConfig::preset_names(), ", ")));
  g.add("init", &init, "Initial VAE weights (.pt/.ckpt/.safetensors; LDM, VA-VAE, REPA-E or latentlab files)");
  g.add("init-prefix", &init_prefix, "State-dict prefix of the VAE inside --init (auto finds it)");
  g.add("disc-init", &disc_init, "Pretrained PatchGAN weights (optional; random taming init otherwise)");
  g.add("disc-layers", &disc_layers, "PatchGAN layers (3 = taming's NLayerDiscriminator)");
  g.add("disc-channels", &disc_channels, "PatchGAN base width ndf");
  g.add("sample-posterior", &sample_posterior, "Decode the posterior sample (true) or its mean (false)");
  g.add_choice("mode", &mode, {"plain", "vavae", "sendvae"},
               "plain (no alignment), vavae (VF loss on a linear projection), sendvae (mapper + noise + cosine)");
  g.add("teacher", &teacher, std::string("Alignment teacher for vavae/sendvae: ") + models::teacher_spec_forms());
  g.add("align-weight", &align_weight, "λ_align of the Send-VAE alignment loss");
  g.add("mapper-depth", &mapper_depth, "Send-VAE mapper ViT blocks (0 = patch embed + projector only)");
  g.add("mapper-patch", &mapper_patch, "Mapper patch size p (0 = 1 for f16 latents, 2 otherwise)");
  g.add("mapper-width", &mapper_width, "Mapper width D (0 = the teacher's width)");
  g.add("mapper-heads", &mapper_heads, "Mapper attention heads (0 = 12 for D 768, 16 for 1024, else D/64)");
  g.add("mapper-projector", &mapper_projector, "Hidden width of the mapper's MLP projector");
  g.add("noise-injection", &noise_injection, "Send-VAE noise injection z_t = (1 − t)·bn(z) + t·ε, t ~ U(0, 1)");
  g.add("vf-weight", &vf_weight, "VA-VAE VF loss weight (scales the adaptive weight when --vf-adaptive)");
  g.add("vf-adaptive", &vf_adaptive, "VA-VAE adaptive VF weight at the encoder's conv_out");
  g.add("vf-cos-margin", &vf_cos_margin, "VA-VAE cosine margin m1");
  g.add("vf-distmat-margin", &vf_distmat_margin, "VA-VAE distance-matrix margin m2");
  g.add("vf-cos-weight", &vf_cos_weight, "VA-VAE weight of L_mcos inside the VF loss");
  g.add("vf-distmat-weight", &vf_distmat_weight, "VA-VAE weight of L_mdms inside the VF loss");
  g.add_choice("reconstruction", &reconstruction, {"l1", "mse"}, "Pixel loss: l1 (REPA-E code) or mse");
  g.add_choice("reduction", &reduction, {"mean", "sum"},
               "mean: REPA-E means; sum: LDM/VA-VAE per-image sums over C·H·W of pixel loss + LPIPS");
  g.add("reconstruction-weight", &reconstruction_weight, "Weight of the pixel loss");
  g.add("lpips-weight", &lpips_weight, "Weight of LPIPS-VGG (0 = off, for offline runs without weight files)");
  g.add_list("lpips-weights", &lpips_weights,
             "LPIPS-VGG weights: vgg16-397923af.pth and lpips vgg.pth (repeat), or one file with both");
  g.add("kl-weight", &kl_weight, "Weight of KL(q(z|x) || N(0, I)) (per-sample sum, batch mean)");
  g.add("gan-weight", &gan_weight, "Generator GAN weight (constant, or the adaptive weight's scale)");
  g.add("gan-adaptive", &gan_adaptive, "LDM adaptive GAN weight at the decoder's conv_out");
  g.add("gan-start", &gan_start, "First step with the GAN terms (generator and discriminator)");
  g.add_choice("disc-loss", &disc_loss, {"hinge", "vanilla"}, "Discriminator loss");
  g.add_choice("gen-loss", &gen_loss, {"mean", "non-saturating"}, "Generator loss: −mean D(x̂) or softplus");
  g.add("lr", &lr, "AdamW learning rate of the VAE (and mapper / projection)");
  g.add("disc-lr", &disc_lr, "AdamW learning rate of the discriminator (0 = --lr)");
  g.add("beta1", &beta1, "AdamW β1 (both optimisers)");
  g.add("beta2", &beta2, "AdamW β2 (both optimisers)");
  g.add("adam-eps", &adam_eps, "AdamW ε");
  g.add("weight-decay", &weight_decay, "AdamW decoupled weight decay");
  g.add_choice("lr-schedule", &schedule.kind, {"constant", "cosine"}, "Learning-rate schedule after warm-up");
  g.add("warmup-steps", &schedule.warmup_steps, "Linear warm-up steps");
  g.add("min-lr-ratio", &schedule.min_ratio, "Cosine floor as a fraction of the learning rate");
  g.add("grad-clip", &grad_clip, "Clip each optimiser's global gradient L2 norm to this (0 = off)");
  g.add("ema", &ema, "EMA decay of the VAE weights (0 = off); OUT/vae-ema.safetensors");
  g.add("out", &out, "Output folder: checkpoints/, log.jsonl, grids/, vae.safetensors, train-vae.json");
  g.add("steps", &steps, "Total optimiser steps");
  g.add("checkpoint-every", &checkpoint_every, "Checkpoint every N steps (and at the end)");
  g.add("keep-checkpoints", &keep_checkpoints, "Checkpoints kept in OUT/checkpoints (0 = all)");
  g.add("log-every", &log_every, "Write a log.jsonl record every N steps");
  g.add("grid-every", &grid_every, "Write a reconstruction grid every N steps (0 = only at the end)");
  g.add("grid-images", &grid_images, "Images in a reconstruction grid (dataset items 0..N−1)");
  g.add_choice("precision", &precision, {"fp32", "bf16", "fp16"}, "Forward precision (bf16 autocast; fp16 refused)");
  g.add("resume", &resume, "auto (latest checkpoint in OUT/checkpoints), off, or a checkpoint file");
  g.add_choice("sync-batchnorm", &sync_batchnorm, {"on", "off"},
               "With several ranks: PatchGAN's and the mapper's BatchNorms use the global batch's statistics "
               "(SyncBatchNorm) or each rank's own (off)");
}

void VaeTrainOptions::validate() {
  for (const auto& [option, v] : {std::pair{"--batch-size", int64_t{batch_size}},
                                  {"--data-threads", int64_t{data_threads}},
                                  {"--steps", steps},
                                  {"--checkpoint-every", checkpoint_every},
                                  {"--log-every", log_every},
                                  {"--disc-layers", int64_t{disc_layers}},
                                  {"--disc-channels", int64_t{disc_channels}},
                                  {"--mapper-projector", int64_t{mapper_projector}}})
    require_at_least_one(option, v);
  for (const auto& [option, v] : {std::pair{"--res", double(resolution)},
                                  {"--grid-every", double(grid_every)},
                                  {"--grid-images", double(grid_images)},
                                  {"--keep-checkpoints", double(keep_checkpoints)},
                                  {"--gan-start", double(gan_start)},
                                  {"--mapper-depth", double(mapper_depth)}})
    require_non_negative(option, v);
  for (const auto& [option, v] :
       {std::pair{"--mapper-patch", mapper_patch}, {"--mapper-width", mapper_width}, {"--mapper-heads", mapper_heads}})
    if (v < 0) fail_usage(option, "must be >= 0 (0 = automatic), got {}", v);
  for (const auto& [option, v] : {std::pair{"--align-weight", align_weight},
                                  {"--vf-weight", vf_weight},
                                  {"--vf-cos-margin", vf_cos_margin},
                                  {"--vf-distmat-margin", vf_distmat_margin},
                                  {"--vf-cos-weight", vf_cos_weight},
                                  {"--vf-distmat-weight", vf_distmat_weight},
                                  {"--reconstruction-weight", reconstruction_weight},
                                  {"--lpips-weight", lpips_weight},
                                  {"--kl-weight", kl_weight},
                                  {"--gan-weight", gan_weight},
                                  {"--disc-lr", disc_lr},
                                  {"--weight-decay", weight_decay},
                                  {"--grad-clip", grad_clip}})
    require_non_negative(option, v);
  require_adamw(lr, beta1, beta2, adam_eps);
  require_ema(ema);
  if (mode != "plain" && mode != "vavae" && mode != "sendvae")
    fail_usage("--mode", "must be plain, vavae or sendvae, got '{}'", mode);
  if (uses_teacher() && teacher.empty()) fail_usage("--teacher", "is required with --mode {}", mode);
  if (lpips_weight > 0 && lpips_weights.empty())
    fail_usage("--lpips-weights", "are required when --lpips-weight > 0 (set lpips-weight = 0 for offline runs)");
  if (lpips_weights.size() > 2) fail_usage("--lpips-weights", "takes one or two files, got {}", lpips_weights.size());
  if (sync_batchnorm != "on" && sync_batchnorm != "off")
    fail_usage("--sync-batchnorm", "must be on or off, got '{}'", sync_batchnorm);
  require_resume(resume);
  parse_precision(precision, "--precision");
  models::parse_discriminator_loss(disc_loss, "--disc-loss");
  models::parse_generator_loss(gen_loss, "--gen-loss");
  schedule.total_steps = steps;
  schedule.validate("--");
}

}  // namespace latentlab::train
