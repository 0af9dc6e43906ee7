// The latent-diffusion trainer behind `latentlab train-ldm` (issue #8): a SiT on the latents of a store,
//   L = mean (v̂(x_t, t, y) − (ε − x))²  +  λ_REPA · (−mean cos(h_φ(block-k tokens), teacher patch tokens))
// with the linear flow-matching path of diffusion/flow_matching.h (x = the normalised latent, t ~ U(0, 1) or
// log-normal), label dropout to the null class, AdamW + gradient clipping + EMA, bf16 autocast optional.
//
// Latent normalisation (diffusion/latent_norm.h) comes from the store's statistics and is written into every
// checkpoint (its state JSON) and into the final weights through diffusion::save_sit_checkpoint, so that
// `latentlab sample` decodes with exactly those numbers.
//
// Determinism and data parallelism: every random draw of step s — posterior sample ε_z, t, ε, label dropout
// (and flips, train/ldm_batches.h) — comes from generators seeded by (seed, s) and is drawn for the whole
// global batch, each rank keeping its own positions. So a resumed run needs only the step to continue
// exactly, and n ranks (gradients averaged by distributed::GradientSync) train like one process on the
// global batch. Rank 0 logs, writes grids, checkpoints (distributed::write_on_rank0) and the final weights.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>

#include "diffusion/latent_norm.h"
#include "models/sit.h"
#include "models/teacher.h"
#include "train/finite_check.h"
#include "train/ldm_batches.h"
#include "train/ldm_train_options.h"
#include "train/train_summary.h"

namespace latentlab::distributed {
class Communicator;
}

namespace latentlab::train {

struct LdmTrainSummary : TrainSummary {
  bool repa = false;
};

class LdmTrainer {
 public:
  // Opens the store, builds the SiT (sized by the store: channels, latent side, classes), the optimiser and
  // the EMA. REPA's targets are the store's teacher tokens when it holds those of `teacher` (or of any
  // teacher when `teacher` is null) on the SiT's token grid (options.repa_features auto|store), else
  // `teacher` with options.dataset computes them online; options.repa decides what happens without either.
  // `communicator` null = one process. `options` must have been validated.
  LdmTrainer(LdmTrainOptions options, std::shared_ptr<models::Teacher> teacher = nullptr,
             distributed::Communicator* communicator = nullptr);
  ~LdmTrainer();
  LdmTrainer(const LdmTrainer&) = delete;
  LdmTrainer& operator=(const LdmTrainer&) = delete;

  // Applies options.resume: loads a checkpoint (every rank the same file) and returns its step, or 0.
  int64_t resume();
  // Trains until options.steps, or until `stop_at` when 0 < stop_at < steps, checkpointing every
  // checkpoint-every steps and at the stop; writes the final weights when complete. UserError (subject
  // "loss") on a non-finite loss term.
  LdmTrainSummary run(int64_t stop_at = 0);

  // One optimiser step on a batch (this rank's part of the global batch); returns the terms averaged over
  // ranks (for tests).
  LossTerms train_step(const LdmBatch& batch);
  // The loss terms of `batch` under the random draws of step `draw_step`, without a step (for tests).
  LossTerms evaluate(const LdmBatch& batch, int64_t draw_step);
  // The batch of step `step` (for tests).
  LdmBatch batch(int64_t step);

  void save_checkpoint();
  // OUT/sit.safetensors (EMA weights when --ema > 0, else the trained ones) and OUT/sit-raw.safetensors (the
  // trained ones, with EMA), both with the latent normalisation.
  void save_final();

  int64_t step() const;
  bool repa() const;
  // REPA's teacher tokens are read from the store (else computed online); the teacher in one line ("" without
  // REPA).
  bool repa_from_store() const;
  std::string teacher_description() const;
  const models::SiT& sit() const;
  const diffusion::LatentNorm& latent_norm() const;
  const std::string& last_checkpoint() const;

  struct State;  // defined in ldm_trainer.cpp
  struct Losses {
    at::Tensor denoise, repa, total;  // 0-dim float32; repa is 0 when REPA is off
  };

 private:
  Losses losses(const LdmBatch& batch, int64_t draw_step);
  std::unique_ptr<State> s_;
};

}  // namespace latentlab::train
