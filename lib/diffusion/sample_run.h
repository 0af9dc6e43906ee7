// A sampling run of `latentlab sample`: SiT + sampler → latents → de-normalise → VAE decode → uint8 images,
// batch by batch, resumable, written atomically.
//
// Output (`out`):
//   *.npz     ADM sample batch: arr_0 uint8 N×H×W×3 (what `latentlab metrics` and ADM's evaluator read),
//             arr_1 int64 N class labels
//   otherwise a folder of PNGs named by global sample index (000000.png …) and labels.csv (file,label)
//   <out>.json  results JSON next to it: the protocol (seed, shard, sampler, steps, guidance, labels, weights,
//             latent normalisation, quantisation) and counts
// Work in progress lives in `<out>.partial/`: run.json (the run's identity) and one pair of .npy files per
// finished batch (labels first, images last, each atomic). A second run with the same identity skips the
// finished batches; one with another identity is refused. The partial folder is removed once `out` is in
// place; `out` never exists half-written. An existing `out` is refused.
//
// Memory: batches are written as they finish (the .npz streamed through io::NpzStreamWriter, PNGs one by
// one), so a 50k-sample run holds one batch, not the whole output.
// Shards (`--shard i/n`, contiguous index ranges) are joined by merge_sample_shards (`latentlab sample
// merge`) into the file one process would have written, byte for byte.
//
// Quantisation follows REPA/REPA-E's sampler: uint8(clamp(127.5·x + 128, 0, 255)) with truncation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "diffusion/latent_norm.h"
#include "diffusion/sample_plan.h"
#include "diffusion/sampler.h"
#include "distributed/shard.h"

namespace latentlab::models {
class SiT;
class AutoencoderKL;
}  // namespace latentlab::models

namespace latentlab::diffusion {

struct SampleRunOptions {
  int64_t num = 50000;  // samples of the whole run (all shards)
  int64_t batch = 64;
  distributed::Shard shard;
  uint64_t seed = 0;
  std::string label_mode = "uniform";
  SamplerOptions sampler;  // null_class is set from the SiT
  std::string out;
};

struct SampleRunReport {
  int64_t samples = 0;          // written to `out` (this shard)
  int64_t batches_resumed = 0;  // found finished in the partial folder
  int64_t batches_sampled = 0;
  std::string format;  // "npz" | "png"
  nlohmann::json protocol;
};

// Throws a UserError for bad options (naming the option), an existing `out`, a partial folder of another
// run, or PNG/npz output in a build without OpenCV/libzip.
SampleRunReport run_sampling(const models::SiT& sit, const models::AutoencoderKL& vae, const LatentNorm& norm,
                             const SampleRunOptions& options);

struct SampleMergeReport {
  int64_t samples = 0, shards = 0;
  nlohmann::json protocol;  // the whole run's: shard "0/1", first_index 0, count = num
};

// Joins the .npz outputs of one sampling run's shards (any order; each with its results JSON <file>.json,
// which `sample` writes) into `out`, streaming rows. The shards must share everything but the shard and
// cover the indices 0..num-1 exactly once; errors name the offending file. Needs libzip (reading .npz).
SampleMergeReport merge_sample_shards(const std::vector<std::string>& shards, const std::string& out);

// Float images in [-1, 1] (N×3×H×W) → uint8 N×H×W×3 as above.
at::Tensor quantize_images(const at::Tensor& images);

}  // namespace latentlab::diffusion
