// Every weight and switch of `latentlab train-vae` (docs/training.md lists them with their sources; the
// paper recipe and its open choices are in configs/paper/vae-*.ini). Defaults are the Send-VAE / REPA-E
// recipe of PAPER.md §4.1 and TRAINING.md §2 where the paper fixes them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/lr_schedule.h"

namespace latentlab {
class OptionGroup;
}

namespace latentlab::train {

struct VaeTrainOptions {
  // Data
  std::string dataset = "shapes:res=32,n=4096";
  std::string preprocess = "none";
  int resolution = 0;  // image side for --preprocess (0 = as decoded)
  int batch_size = 16;
  int data_threads = 2;

  // Model
  std::string preset = "tiny-f4d4";  // ignored when --init gives a VAE
  std::string init;                  // initial VAE weights (.pt/.ckpt/.safetensors); VA-VAE init
  std::string init_prefix = "auto";
  std::string disc_init;  // pretrained PatchGAN (REPA-E's --disc-pretrained-ckpt)
  int disc_layers = 3;
  int disc_channels = 64;
  bool sample_posterior = true;  // decode the posterior sample (LDM/REPA-E) rather than its mean

  // Mode and alignment
  std::string mode = "plain";  // plain | vavae | sendvae
  std::string teacher;         // models::make_teacher spec (vavae, sendvae)
  double align_weight = 1.0;   // λ_align (sendvae)
  int mapper_depth = 1;
  int mapper_patch = 0;  // 0 = 1 for f16 latents, 2 for f8/f4 (PAPER.md §6.2)
  int mapper_width = 0;  // 0 = teacher width
  int mapper_heads = 0;  // 0 = 12 for 768, 16 for 1024, else width/64 (at least 1)
  int mapper_projector = 2048;
  bool noise_injection = true;
  double vf_weight = 0.1;  // vavae: scales the adaptive weight (or is the weight when not adaptive)
  bool vf_adaptive = true;
  double vf_cos_margin = 0.5;
  double vf_distmat_margin = 0.25;
  double vf_cos_weight = 1.0;
  double vf_distmat_weight = 1.0;

  // Losses
  std::string reconstruction = "l1";  // l1 | mse
  std::string reduction = "mean";     // mean (REPA-E) | sum (LDM/VA-VAE: per-image sums over C·H·W)
  double reconstruction_weight = 1.0;
  double lpips_weight = 1.0;
  std::vector<std::string> lpips_weights;
  double kl_weight = 1e-6;
  double gan_weight = 0.1;
  bool gan_adaptive = false;
  int64_t gan_start = 0;
  std::string disc_loss = "hinge";
  std::string gen_loss = "mean";

  // Optimisers
  double lr = 1e-4;
  double disc_lr = 0;  // 0 = lr
  double beta1 = 0.9, beta2 = 0.999, adam_eps = 1e-8, weight_decay = 0.0;
  LrSchedule schedule;
  double grad_clip = 1.0;  // max global L2 norm per optimiser; 0 = off
  double ema = 0.0;        // EMA decay of the VAE; 0 = off

  // Run
  std::string out = "train-vae-out";
  int64_t steps = 1000;
  int64_t checkpoint_every = 500;
  int keep_checkpoints = 2;
  int64_t log_every = 10;
  int64_t grid_every = 0;  // 0 = only at the end
  int grid_images = 8;
  std::string precision = "fp32";
  std::string resume = "auto";  // auto (latest in OUT/checkpoints if any) | off | a checkpoint file
  int64_t seed = 0;
  std::string device = "cpu";
  std::string sync_batchnorm = "on";  // on | off: with several ranks, BatchNorm statistics over the global batch

  // Not an option: run the generator step's pass through the discriminator with D's parameters requiring
  // gradients, as before they were frozen there (for the equality test and bench_vae_train_step).
  bool disc_grads_in_generator_step = false;

  void register_options(OptionGroup& group);
  // Usage UserErrors naming the option for any bad value. Sets schedule.total_steps.
  void validate();
  bool uses_teacher() const { return mode != "plain"; }
};

}  // namespace latentlab::train
