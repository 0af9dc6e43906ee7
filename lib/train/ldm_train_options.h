// Every option of `latentlab train-ldm` (docs/ldm.md, "Training", lists them). Defaults are the REPA / REPA-E
// LDM-only recipe of TRAINING.md §5 and PAPER.md §9 (AdamW 1e-4, β (0.9, 0.999), wd 0, clip 1.0, EMA 0.9999,
// label dropout 0.1, REPA weight 0.5, t ~ U(0, 1)); configs/paper/ldm-*.ini hold the paper settings.
#pragma once

#include <cstdint>
#include <string>

#include "diffusion/flow_matching.h"
#include "train/lr_schedule.h"

namespace latentlab {
class OptionGroup;
}

namespace latentlab::train {

struct LdmTrainOptions {
  // Data: the latent store (lib/store) and, for REPA computed online, the images it was cached from.
  std::string store;                    // the HDF5 latent store (`latentlab cache`)
  std::string latent_norm = "channel";  // channel | scalar | fixed
  double latent_scale = 0.18215;        // fixed: x = z·scale (LDM's constant); mean 0, std 1/scale
  bool sample_posterior = true;         // z = mean + std·ε (REPA-E) rather than the posterior mean
  bool random_flip = false;             // read the flipped copy of a row with p = ½ (a store cached with --flip)
  int64_t batch_size = 32;              // the global batch: all ranks together
  int64_t num_classes = 0;              // 0 = the store's largest label + 1

  // Model: a preset, optionally resized.
  std::string preset = "SiT-tiny/1";
  int64_t hidden_size = 0, depth = 0, num_heads = 0, patch_size = 0;  // 0 = the preset's
  int64_t encoder_depth = 0;                                          // REPA block k (1-based); 0 = the preset's
  int64_t projector_dim = 0;                                          // REPA projector hidden width; 0 = the preset's
  double label_dropout = 0.1;

  // Objective
  diffusion::TimeSampling time_sampling;
  std::string repa = "auto";  // auto | on | off
  double repa_weight = 0.5;
  // Where the teacher tokens come from: auto (the store's when it holds those of this teacher on the SiT's
  // token grid, else online), store (an error when it cannot), online (always run the teacher on the images).
  std::string repa_features = "auto";
  std::string teacher;  // models::make_teacher spec (REPA computed online; checks the store's tokens)
  std::string dataset;  // the images the store was cached from (its dataset fingerprint must match)
  std::string preprocess = "none";
  int resolution = 0;

  // Optimiser
  double lr = 1e-4;
  double beta1 = 0.9, beta2 = 0.999, adam_eps = 1e-8, weight_decay = 0.0;
  LrSchedule schedule;
  double grad_clip = 1.0;  // max global L2 norm; 0 = off
  double ema = 0.9999;     // 0 = off

  // Run
  std::string out = "train-ldm-out";
  int64_t steps = 1000;
  int64_t checkpoint_every = 500;
  int keep_checkpoints = 2;
  int64_t log_every = 10;
  int64_t grid_every = 0;  // 0 = only at the end
  int grid_images = 8;
  int64_t grid_steps = 50;  // Euler ODE steps of a sample grid
  double grid_cfg = 1.0;    // guidance scale of a sample grid
  std::string vae;          // decodes sample grids (else a latent-channel grid); must be the store's VAE
  std::string precision = "fp32";
  std::string resume = "auto";  // auto | off | a checkpoint file
  int64_t seed = 0;
  std::string device = "cpu";

  void register_options(OptionGroup& group);
  // Usage UserErrors naming the option for any bad value. Sets schedule.total_steps.
  void validate();
};

}  // namespace latentlab::train
