// What `train-ldm` derives from its latent store before training: the latent normalisation and the SiT's
// size (latent channels and side, number of classes).
//
// Normalisation (--latent-norm; the SiT sees x = (z − mean)/std, diffusion/latent_norm.h):
//   channel  the store's channel_mean / channel_std (the statistics of z = m + s·ε; docs/latent-store.md)
//   scalar   one mean and std over all channels, from the same statistics: with equal counts per channel,
//            mean = (1/C) Σ_c μ_c and var = (1/C) Σ_c (σ_c² + (μ_c − mean)²) (law of total variance)
//   fixed    mean 0, std 1/scale (LDM's 0.18215 convention)
// The VAE identity (SHA-256) and preset come from the store, so `latentlab sample` can check its --vae.
#pragma once

#include <cstdint>
#include <string>

#include "diffusion/latent_norm.h"
#include "models/sit_config.h"
#include "store/schema.h"
#include "train/ldm_train_options.h"

namespace latentlab::store {
class StoreReader;
}

namespace latentlab::distributed {
class Communicator;
}

namespace latentlab::train {

diffusion::LatentNorm ldm_latent_norm(const store::StoreInfo& info, const std::string& kind, double scale);

// With several ranks (each opens its own copy of the store): UserError naming the store, on every rank, unless
// all ranks' stores have the same rows, latent shape and `classes` and give the same normalisation `norm`
// (bitwise). Two small float64 all-reduces; nothing with one process.
void require_same_latents_on_every_rank(distributed::Communicator& communicator, const store::StoreReader& reader,
                                        const diffusion::LatentNorm& norm, int64_t classes);

// The number of classes: options.num_classes, else the store's largest label + 1. UserError naming the store
// for a negative label (an unlabelled dataset) or a label outside --num-classes.
int64_t ldm_num_classes(const store::StoreReader& reader, int64_t requested);

// The preset with the overrides of `options`, sized by the store (square latents only); REPA projector to
// `teacher_width` when > 0, else no projector. UserError naming --preset (or the store) when invalid.
models::SiTConfig ldm_sit_config(const LdmTrainOptions& options, const store::StoreReader& reader,
                                 int64_t teacher_width);

}  // namespace latentlab::train
