// Tiny latent stores for the train-ldm tests: SiT-tiny/1-sized latents (4×8×8) written with the store tests'
// synthetic rows (a fixed function of the position; labels = position mod 10), and a fixed pooled-pixel
// teacher, so no VAE, weights or cache run are needed.
#pragma once

#include <string>

#include <ATen/ATen.h>

#include "cache/cache_latents.h"
#include "datasets/dataset_spec.h"
#include "datasets/preprocess.h"
#include "models/teacher.h"
#include "train/ldm_train_options.h"
#include "unit/store/store_test_util.h"

namespace latentlab::train::ldm_testing {

// The dataset the REPA stores claim to be cached from (its images feed the teacher).
inline const char* kLdmTestDataset = "shapes:seed=0,n=48,res=32";

// A complete store of `rows` rows at `path`; with `for_dataset` its identity names kLdmTestDataset (so REPA
// can read the images), with `flip` it keeps flipped copies.
inline void write_ldm_store(const std::string& path, int64_t rows, bool for_dataset = false, bool flip = false) {
  store::StoreIdentity id = store::testing::test_identity(store::LatentDType::Float32, flip, 0, {});
  id.latent_shape = {4, 8, 8};
  if (for_dataset) {
    id.dataset_fingerprint = cache::dataset_fingerprint(datasets::open_dataset(kLdmTestDataset)->info());
    id.preprocessing = datasets::make_preprocess("none", 0).protocol;
  }
  store::testing::write_store(path, id, store::testing::iota_positions(rows), 16);
}

// tanh of a fixed random projection of the average-pooled image: 8 channels per grid cell.
class PooledTeacher : public models::Teacher {
 public:
  PooledTeacher() : weight_(at::randn({8, 3}, at::detail::createCPUGenerator(11))) {}
  at::Tensor patch_tokens(const at::Tensor& images, int64_t grid_h, int64_t grid_w) override {
    const at::Tensor pooled = at::adaptive_avg_pool2d(images, {grid_h, grid_w}).flatten(2).transpose(1, 2);
    return at::tanh(at::matmul(pooled, weight_.t().to(images.device())) * 2);
  }
  int64_t width() const override { return 8; }
  std::string description() const override { return "pooled-pixel test teacher"; }
  void to(const c10::Device&) override {}

 private:
  at::Tensor weight_;
};

// SiT-tiny/1, batch 8, lr 1e-3, no EMA, no grids: a few steps take well under a second.
inline LdmTrainOptions tiny_ldm_options(const std::string& store, const std::string& out) {
  LdmTrainOptions o;
  o.store = store;
  o.out = out;
  o.preset = "SiT-tiny/1";
  o.batch_size = 8;
  o.lr = 1e-3;
  o.ema = 0;
  o.steps = 4;
  o.checkpoint_every = 2;
  o.log_every = 1;
  o.grid_images = 0;
  o.resume = "off";
  o.validate();
  return o;
}

}  // namespace latentlab::train::ldm_testing
