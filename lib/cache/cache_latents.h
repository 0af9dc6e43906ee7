// The cache job: encodes every image of a dataset (or one shard of it) with an AutoencoderKL and writes
// the posterior into a latent store, resumably. Row r of the store is position r of the shard's order
// (datasets::Pipeline, unshuffled); its key is the dataset index.
//
// Resuming: the store writer commits whole batches; a rerun opens the partial store, checks that it was
// made by the same VAE weights, dataset and preprocessing (the StoreIdentity), and continues from the
// last committed row with the same batch boundaries, so the result equals an uninterrupted run bit for bit.
//
// Teacher tokens (options.teacher): in the same pass, each image (and its flipped copy with --flip) also goes
// through a REPA teacher, the very models::Teacher::patch_tokens call train-ldm makes online, on the same
// [−1, 1] images at the SiT token grid (latent side / teacher_patch); the tokens are stored with the latents
// (store/schema.h, /teacher_tokens) and train-ldm reads them instead of running the teacher.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "datasets/image_source.h"
#include "datasets/preprocess.h"
#include "models/autoencoder_kl.h"
#include "models/teacher.h"
#include "store/schema.h"

namespace latentlab::cache {

struct CacheOptions {
  std::string out;    // the store path
  bool flip = false;  // also encode horizontally flipped images (mean_flip, std_flip)
  int shard_index = 0, shard_count = 1;
  store::LatentDType dtype = store::LatentDType::Float32;
  int batch_size = 32;
  int threads = 0;             // image pipeline workers (0: all cores)
  bool force = false;          // replace a store made from other inputs instead of refusing
  std::string device = "cpu";  // where the VAE runs
  // Optional: also store this teacher's patch tokens of every image on the token grid of a SiT with patch
  // size teacher_patch (grid = latent h / patch x latent w / patch), in teacher_dtype.
  models::Teacher* teacher = nullptr;
  int64_t teacher_patch = 1;
  store::LatentDType teacher_dtype = store::LatentDType::Float16;
};

struct CacheReport {
  std::string status;        // "created", "resumed" or "complete" (nothing to do)
  int64_t rows = 0;          // rows of the store (this shard's examples)
  int64_t resumed_from = 0;  // rows already committed when the job started
  double seconds = 0;        // encoding time of this run
  store::StoreIdentity identity;
  nlohmann::json to_json() const;
};

// A stable fingerprint of what a dataset holds: SHA-256 over its canonical spec, size, class names and
// attribute value lists. Two specs opening the same data in the same order get the same fingerprint.
std::string dataset_fingerprint(const datasets::DatasetInfo& info);

// The identity a store made with these inputs carries (the writer compares it with an existing store).
// The latent shape comes from the first example after preprocessing (all must share its size).
store::StoreIdentity cache_identity(const models::AutoencoderKL& vae, const datasets::ImageSource& source,
                                    const datasets::Preprocess& preprocess, const CacheOptions& options);

// Runs the job. `vae` must have been loaded from a file (its SHA-256 identifies the store); it is moved
// to options.device. Shows a progress bar. Throws UserError for bad inputs (naming the file or option).
CacheReport cache_latents(models::AutoencoderKL& vae, const datasets::ImageSource& source,
                          const datasets::Preprocess& preprocess, const CacheOptions& options);

}  // namespace latentlab::cache
