#include "train/ldm_train_options.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/options.h"
#include "models/sit_config.h"
#include "models/teacher.h"
#include "train/option_checks.h"
#include "train/precision.h"

namespace latentlab::train {

void LdmTrainOptions::register_options(OptionGroup& g) {
  g.add("store", &store, "The latent store to train on (HDF5, from `latentlab cache`); never re-encoded");
  g.add_choice("latent-norm", &latent_norm, {"channel", "scalar", "fixed"},
               "Latent normalisation: the store's per-channel mean/std, one mean/std over all channels, or "
               "mean 0 and std 1/--latent-scale; recorded in every checkpoint and the final weights");
  g.add("latent-scale", &latent_scale, "Constant factor of --latent-norm fixed (LDM's SD-VAE: 0.18215)");
  g.add("sample-posterior", &sample_posterior, "Train on z = mean + std·ε (true) or on the posterior mean (false)");
  g.add("random-flip", &random_flip, "Read a row's flipped copy with probability 1/2 (a store cached with --flip)");
  g.add("batch-size", &batch_size, "Global batch: latents per optimiser step over all ranks (split evenly)");
  g.add("num-classes", &num_classes, "Classes of the SiT's label table (0 = the store's largest label + 1)");
  g.add("preset", &preset,
        "SiT preset: SiT-S|B|L|XL/1|2|4, SiT-tiny/1, SiT-tiny/2; input size and channels follow the store");
  g.add("hidden-size", &hidden_size, "Override the preset's hidden width (0 = the preset's)");
  g.add("depth", &depth, "Override the preset's number of blocks (0 = the preset's)");
  g.add("num-heads", &num_heads, "Override the preset's attention heads (0 = the preset's)");
  g.add("patch-size", &patch_size, "Override the preset's patch size (0 = the preset's)");
  g.add("encoder-depth", &encoder_depth, "REPA: align the tokens after this block (1-based; 0 = the preset's)");
  g.add("projector-dim", &projector_dim, "REPA projector hidden width (0 = the preset's)");
  g.add("label-dropout", &label_dropout, "Probability that a label becomes the null class (classifier-free guidance)");
  g.add_choice("time-sampling", &time_sampling.kind, diffusion::TimeSampling::kinds(),
               "t ~ U(0, 1), or lognormal: t = sigmoid(mean + stddev·n)");
  g.add("time-mean", &time_sampling.mean, "Mean of the normal inside the sigmoid (lognormal)");
  g.add("time-stddev", &time_sampling.stddev, "Standard deviation of the normal inside the sigmoid (lognormal)");
  g.add_choice("repa", &repa, {"auto", "on", "off"},
               "REPA alignment: auto (on when teacher features can be had, else off with a log line), on "
               "(an error when they cannot), off");
  g.add("repa-weight", &repa_weight, "λ of the REPA loss (negative cosine to the teacher's patch tokens)");
  g.add_choice("repa-features", &repa_features, {"auto", "store", "online"},
               "REPA teacher tokens: auto (the store's when it holds those of --teacher on the SiT's token grid, "
               "else computed online), store (an error when it holds none that fit), online");
  g.add("teacher", &teacher,
        fmt::format("REPA teacher run on the images: {}; optional when the store holds teacher tokens (`cache "
                    "--teacher`)",
                    models::teacher_spec_forms()));
  g.add("dataset", &dataset, "The images the store was cached from (dataset spec; its fingerprint must match)");
  g.add("preprocess", &preprocess, "Preprocessing of --dataset as at caching (must match the store's protocol)");
  g.add("res", &resolution, "Image side for --preprocess (0 = as decoded)");
  g.add("lr", &lr, "AdamW learning rate");
  g.add("beta1", &beta1, "AdamW β1");
  g.add("beta2", &beta2, "AdamW β2");
  g.add("adam-eps", &adam_eps, "AdamW ε");
  g.add("weight-decay", &weight_decay, "AdamW decoupled weight decay");
  g.add_choice("lr-schedule", &schedule.kind, {"constant", "cosine"}, "Learning-rate schedule after warm-up");
  g.add("warmup-steps", &schedule.warmup_steps, "Linear warm-up steps");
  g.add("min-lr-ratio", &schedule.min_ratio, "Cosine floor as a fraction of the learning rate");
  g.add("grad-clip", &grad_clip, "Clip the global gradient L2 norm to this (0 = off)");
  g.add("ema", &ema, "EMA decay of the SiT weights (0 = off); the EMA weights are OUT/sit.safetensors");
  g.add("out", &out, "Output folder: checkpoints/, log.jsonl, grids/, sit.safetensors, train-ldm.json");
  g.add("steps", &steps, "Total optimiser steps");
  g.add("checkpoint-every", &checkpoint_every, "Checkpoint every N steps (and at the end)");
  g.add("keep-checkpoints", &keep_checkpoints, "Checkpoints kept in OUT/checkpoints (0 = all)");
  g.add("log-every", &log_every, "Write a log.jsonl record every N steps");
  g.add("grid-every", &grid_every, "Write a sample grid every N steps (0 = only at the end)");
  g.add("grid-images", &grid_images, "Samples in a grid (labels 0, 1, 2, … mod classes; 0 = no grids)");
  g.add("grid-steps", &grid_steps, "Euler ODE steps of a sample grid");
  g.add("grid-cfg", &grid_cfg, "Classifier-free guidance scale of a sample grid");
  g.add("vae", &vae, "VAE that decodes the sample grids (the store's VAE); without it grids show latent channels");
  g.add_choice("precision", &precision, {"fp32", "bf16", "fp16"}, "Forward precision (bf16 autocast; fp16 refused)");
  g.add("resume", &resume, "auto (latest checkpoint in OUT/checkpoints), off, or a checkpoint file");
}

void LdmTrainOptions::validate() {
  if (store.empty()) fail_usage("--store", "is required (a latent store from `latentlab cache`)");
  for (const auto& [option, v] : {std::pair{"--batch-size", int64_t{batch_size}},
                                  {"--steps", int64_t{steps}},
                                  {"--checkpoint-every", int64_t{checkpoint_every}},
                                  {"--log-every", int64_t{log_every}},
                                  {"--grid-steps", int64_t{grid_steps}}})
    require_at_least_one(option, v);
  for (const auto& [option, v] : {std::pair{"--num-classes", num_classes},
                                  {"--hidden-size", hidden_size},
                                  {"--depth", depth},
                                  {"--num-heads", num_heads},
                                  {"--patch-size", patch_size},
                                  {"--encoder-depth", encoder_depth},
                                  {"--projector-dim", projector_dim},
                                  {"--grid-every", grid_every},
                                  {"--grid-images", int64_t{grid_images}},
                                  {"--keep-checkpoints", int64_t{keep_checkpoints}},
                                  {"--res", int64_t{resolution}}})
    require_non_negative(option, static_cast<double>(v));
  if (latent_norm != "channel" && latent_norm != "scalar" && latent_norm != "fixed")
    fail_usage("--latent-norm", "must be channel, scalar or fixed, got '{}'", latent_norm);
  if (!(latent_scale > 0)) fail_usage("--latent-scale", "must be > 0, got {}", latent_scale);
  if (!(label_dropout >= 0 && label_dropout < 1))
    fail_usage("--label-dropout", "must be in [0, 1), got {}", label_dropout);
  time_sampling.validate("--time-sampling");
  if (repa != "auto" && repa != "on" && repa != "off") fail_usage("--repa", "must be auto, on or off, got '{}'", repa);
  if (repa_features != "auto" && repa_features != "store" && repa_features != "online")
    fail_usage("--repa-features", "must be auto, store or online, got '{}'", repa_features);
  if (!(repa_weight >= 0)) fail_usage("--repa-weight", "must be >= 0, got {}", repa_weight);
  require_adamw(lr, beta1, beta2, adam_eps);
  for (const auto& [option, v] : {std::pair{"--weight-decay", weight_decay}, {"--grad-clip", grad_clip}})
    require_non_negative(option, v);
  require_ema(ema);
  require_non_negative("--grid-cfg", grid_cfg);
  require_resume(resume);
  models::SiTConfig::preset_config(preset);  // names the known presets when unknown
  parse_precision(precision, "--precision");
  schedule.total_steps = steps;
  schedule.validate("--");
}

}  // namespace latentlab::train
