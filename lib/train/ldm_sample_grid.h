// Periodic sample grids of `train-ldm`: a fixed set of samples (diffusion::draw_samples with the run's seed,
// labels 0, 1, 2, … mod classes) integrated with the Euler ODE (--grid-steps, guidance --grid-cfg on all of
// [0, 1]) from the same noise every time, so successive grids show training progress on identical inputs.
// With --vae (the store's VAE, checked by SHA-256) the latents are de-normalised and decoded: one row of images.
// Without it each row is one sample's latent channels as grey images (normalised values / 3, upscaled by
// nearest neighbour to at least 32 pixels), which needs no decoder.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "diffusion/latent_norm.h"
#include "train/ldm_train_options.h"

namespace latentlab::models {
class SiT;
class AutoencoderKL;
}  // namespace latentlab::models

namespace latentlab::train {

class LdmSampleGrid {
 public:
  // Loads options.vae when given; UserError naming --vae when it is not the VAE of the normalisation's store.
  LdmSampleGrid(const LdmTrainOptions& options, const diffusion::LatentNorm& norm, int64_t classes,
                std::vector<int64_t> latent_shape);
  ~LdmSampleGrid();
  LdmSampleGrid(LdmSampleGrid&&) noexcept;

  // Samples with `sit` and writes OUT/grids/step-NNNNNNN.png (or .ppm); returns the path.
  std::string write(const models::SiT& sit, int64_t step) const;

 private:
  LdmTrainOptions options_;
  diffusion::LatentNorm norm_;
  int64_t classes_;
  std::vector<int64_t> shape_;
  std::unique_ptr<models::AutoencoderKL> vae_;
};

}  // namespace latentlab::train
