// The VAE trainer behind `latentlab train-vae` (issue #7): AutoencoderKL + PatchGAN with
//   L = w_pix·pixel + w_lpips·LPIPS + w_kl·KL + λ_adv·factor·L_G + alignment
// where alignment is nothing (plain), λ_vf·L_vf on a linear projection of z (vavae, models/vf_loss.h), or
// λ_align·(1 − mean patch cosine) of the Send-VAE mapper on the noised normalised latent (sendvae,
// models/sendvae_mapper*.h). One step (REPA-E's order): VAE forward on the batch, loss, AdamW step of the VAE
// (+ mapper or projection), then the discriminator's own AdamW step on x and x̂.detach() when the GAN is on
// (step ≥ gan-start and gan-weight > 0). The generator's pass through the discriminator runs with D's
// parameters frozen, so its backward forms no D weight gradients. Losses in docs/training.md.
//
// Determinism: every draw after construction comes from one seeded CPU generator (posterior samples, noise
// injection); data order is the pipeline's seeded per-epoch permutation (seed + epoch) and the position in it
// is checkpointed; so a resumed run reproduces an uninterrupted one exactly (tests/unit/train).
//
// Data parallel (docs/distributed.md): given a distributed Communicator, rank r of n trains on positions
// r, r + n, ... of each global batch of --batch-size (the pipeline's shard r/n with batch B/n), with the
// parameters broadcast from rank 0 at the start, the gradients of the VAE (+ mapper / projection) and of
// the discriminator averaged in overlapped buckets, the BatchNorms (mapper, discriminator) normalising with
// the global batch's statistics (SyncBatchNorm; --sync-batchnorm off: per rank, buffers averaged every
// step), the posterior noise and the mapper's noise injection drawn for the whole global batch on every
// rank (so that n ranks use the single process's draws), and rank 0 writing checkpoints and final weights
// while the others wait. The checkpoint's position counts global examples, so a run resumes with any world
// size that divides the batch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>

#include "datasets/image_source.h"
#include "models/autoencoder_kl.h"
#include "models/teacher.h"
#include "train/finite_check.h"
#include "train/train_summary.h"
#include "train/vae_train_options.h"

namespace latentlab::distributed {
class Communicator;
}

namespace latentlab::train {

using VaeTrainSummary = TrainSummary;

class VaeTrainer {
 public:
  // Builds (or loads, --init) the VAE, the discriminator, the mapper / projection, the optimisers, LPIPS.
  // `teacher` is required for vavae/sendvae (its width sizes the mapper or projection). `options` must have
  // been validated. The source must outlive the trainer. `communicator`: the data-parallel job this process
  // belongs to (null = one process); with several ranks the constructor broadcasts rank 0's weights.
  VaeTrainer(VaeTrainOptions options, const datasets::ImageSource& source,
             std::shared_ptr<models::Teacher> teacher = nullptr,
             std::shared_ptr<distributed::Communicator> communicator = nullptr);
  ~VaeTrainer();
  VaeTrainer(const VaeTrainer&) = delete;
  VaeTrainer& operator=(const VaeTrainer&) = delete;

  // Applies options.resume: loads a checkpoint and returns its step, or 0 when starting fresh. With several
  // ranks every rank loads the same file and all check that they hold the same step and weights.
  int64_t resume();
  // Trains until options.steps, or until step `stop_at` when 0 < stop_at < steps (for tests and time limits),
  // checkpointing every checkpoint-every steps and at the stop; then writes the final weights when the run
  // is complete. UserError (subject "loss") on a non-finite loss term.
  VaeTrainSummary run(int64_t stop_at = 0);

  // One optimiser step on uint8 images (B, 3, H, W; this rank's B / n rows with several ranks); returns the
  // named terms (averaged over ranks).
  LossTerms train_step(const at::Tensor& images_uint8);

  void save_checkpoint();
  // OUT/vae.safetensors (+ vae-ema.safetensors), disc.safetensors, a grid and OUT/train-vae.json-ready data.
  void save_final();

  int64_t step() const;
  models::AutoencoderKL& vae();
  const std::string& last_checkpoint() const;

  struct State;  // train/vae_trainer_state.h

 private:
  std::unique_ptr<State> s_;
};

}  // namespace latentlab::train
