// The latents of each optimiser step of `train-ldm`, read from a latent store one step ahead on a background
// thread.
//
// Order: distributed/batch_split.h — a seeded permutation of the store's rows per epoch (SplitMix64 +
// Fisher-Yates), the global batch of step s is positions [s·B, (s+1)·B) of it, and rank r of n takes the
// positions r, r + n, … of that batch. So the data of step s is a function of (seed, s) alone: a resumed run
// continues at its step with no data cursor to restore, and n ranks together read exactly the batch one
// process reads. (store::LatentLoader cannot start in the middle of an epoch, which resuming needs, so this
// reads rows through its StoreReader directly.)
//
// Flips (random_flip): the flip bit of global position j of step s comes from a generator seeded by
// (seed, s), drawn for the whole global batch, so it does not depend on the rank count either.
// With an image source (REPA computed online) the images of the rows are decoded too: the store's int64 keys
// are the dataset indices, preprocessed as the store was, flipped where the latent is. With teacher_tokens
// (REPA targets cached in the store) the rows' teacher tokens are read instead, of the flipped image where
// the latent is flipped.
#pragma once

#include <cstdint>
#include <future>
#include <mutex>
#include <vector>

#include <ATen/core/Tensor.h>

#include "datasets/pipeline.h"
#include "distributed/batch_split.h"

namespace latentlab::store {
class StoreReader;
}

namespace latentlab::train {

struct LdmBatch {
  int64_t step = 0;
  std::vector<int64_t> positions;  // this rank's positions in the global batch: rank, rank + n, …
  std::vector<int64_t> rows;       // store rows
  at::Tensor mean, std;            // float32 (b, C, h, w): the posterior (of the flipped image where flipped)
  at::Tensor labels;               // int64 (b)
  at::Tensor images;               // uint8 (b, 3, H, W), only with an image source
  at::Tensor teacher_tokens;       // float32 (b, T, D), only with options.teacher_tokens
};

struct LdmBatchOptions {
  distributed::BatchPlan plan;  // dataset_size = the store's rows, global_batch, seed
  int rank = 0, world_size = 1;
  bool random_flip = false;
  bool teacher_tokens = false;  // read the store's teacher tokens (it must hold them)
};

class LdmBatchSource {
 public:
  // `images` (may be null) and `transform` give the images of the rows; the reader and the source must
  // outlive this object. Throws UserError naming the store when the plan does not fit it.
  LdmBatchSource(const store::StoreReader& reader, LdmBatchOptions options,
                 const datasets::ImageSource* images = nullptr, datasets::Pipeline::Transform transform = {});
  ~LdmBatchSource();
  LdmBatchSource(const LdmBatchSource&) = delete;
  LdmBatchSource& operator=(const LdmBatchSource&) = delete;

  // This rank's part of step `step`'s global batch; starts reading step + 1.
  LdmBatch get(int64_t step);

  // The flip bits of step `step`'s whole global batch.
  std::vector<uint8_t> global_flips(int64_t step) const;

 private:
  LdmBatch read(int64_t step) const;
  std::vector<int64_t> permutation(int64_t epoch) const;

  const store::StoreReader& reader_;
  LdmBatchOptions options_;
  const datasets::ImageSource* images_;
  datasets::Pipeline::Transform transform_;
  mutable std::mutex permutation_mutex_;
  mutable int64_t permutation_epoch_ = -1;
  mutable std::vector<int64_t> permutation_;
  std::future<LdmBatch> pending_;
  int64_t pending_step_ = -1;
};

}  // namespace latentlab::train
