// What a VaeTrainer holds (private to lib/train's vae_* files): the models, optimisers, EMA, the data
// position and the data-parallel services. The trainer's parts live in their own files: construction and the
// run loop (vae_trainer.cpp), one optimiser step (vae_train_step.cpp), checkpoints, resume and the final
// weights (vae_checkpoint.cpp), and what several ranks need beyond one process (vae_data_parallel.cpp).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <torch/optim/adamw.h>

#include "datasets/image_source.h"
#include "distributed/communicator.h"
#include "distributed/gradient_sync.h"
#include "models/autoencoder_kl.h"
#include "models/autoencoder_kl_posterior.h"
#include "models/lpips_vgg.h"
#include "models/patchgan.h"
#include "models/sendvae_mapper.h"
#include "models/teacher.h"
#include "models/vf_loss.h"
#include "train/ema.h"
#include "train/lost_rank.h"
#include "train/precision.h"
#include "train/vae_losses.h"
#include "train/vae_trainer.h"

namespace latentlab::train {

struct VaeTrainer::State {
  VaeTrainOptions o;
  const datasets::ImageSource& source;
  std::shared_ptr<models::Teacher> teacher;
  at::Device device;
  Precision precision;
  Reduction reduction;
  models::AutoencoderKL vae;
  models::PatchGANDiscriminator disc;
  models::SendVAEMapper mapper{nullptr};
  models::VFProjection proj{nullptr};
  std::optional<models::LpipsVGG> lpips;
  std::unique_ptr<torch::optim::AdamW> vae_opt, disc_opt;
  std::unique_ptr<Ema> ema;
  std::shared_ptr<distributed::Communicator> comm;                 // a single-process one without a job
  std::unique_ptr<distributed::GradientSync> vae_sync, disc_sync;  // only with several ranks
  bool sync_batchnorm = false;                                     // several ranks and --sync-batchnorm on
  at::Generator gen;
  int64_t step = 0, epoch = 0, position = 0;  // position: examples of this epoch already consumed
  std::string last_checkpoint;
  LossTerms last_terms;
  StepRecovery recovery;  // what a step changes before its optimiser steps (several ranks; train/lost_rank.h)

  State(VaeTrainOptions options, const datasets::ImageSource& src, std::shared_ptr<models::Teacher> t,
        std::shared_ptr<distributed::Communicator> c);

  bool data_parallel() const { return comm->distributed(); }
  std::string checkpoint_dir() const { return o.out + "/checkpoints"; }
  int64_t latent_channels() const { return vae.config().embed_dim; }
  int64_t mapper_patch() const;
  std::vector<at::Tensor> vae_parameters() const;
  // Everything the optimisers train (all ranks must hold the same).
  std::vector<at::Tensor> trained_parameters() const;

  // vae_data_parallel.cpp: with several ranks, broadcasts rank 0's weights, creates the gradient syncs,
  // installs SyncBatchNorm and sets up `recovery`; nothing with one process.
  void join_data_parallel();
  // The posterior sample of this rank's rows with the noise one process draws for the whole global batch.
  at::Tensor sample_posterior(const models::Posterior& posterior);
  // The mapper's noised normalised latent z_t for this rank's rows, with the draws of the whole global batch.
  at::Tensor noised_latent(const at::Tensor& normalized);
  // Per-rank BatchNorm running statistics (without SyncBatchNorm) averaged over ranks.
  void average_batchnorm_buffers();
};

// uint8 images (B, 3, H, W) -> float in [-1, 1] on `device`.
at::Tensor to_float_images(const at::Tensor& images_uint8, const at::Device& device);

}  // namespace latentlab::train
