// Test inputs of the VAE trainer tests (vae_trainer_test.cpp, vae_data_parallel_test.cpp): a tiny image source,
// a weight-free teacher and the tiny-f4d4 options at 32².
#pragma once

#include <limits>
#include <memory>
#include <string>

#include <ATen/ATen.h>

#include "datasets/image_source.h"
#include "models/teacher.h"
#include "train/vae_train_options.h"

namespace latentlab::train::vae_testing {

// Smooth coloured gradients, a pure function of the index.
class GradientImages : public datasets::ImageSource {
 public:
  explicit GradientImages(int64_t n) { info_ = {"gradients:n=" + std::to_string(n), "test gradients", n, {}, {}}; }
  const datasets::DatasetInfo& info() const override { return info_; }
  datasets::Example get(int64_t index) const override {
    datasets::Example e;
    e.image.height = e.image.width = 32;
    e.image.pixels.resize(32 * 32 * 3);
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x)
        for (int c = 0; c < 3; ++c)
          e.image.pixels[(y * 32 + x) * 3 + c] =
              static_cast<uint8_t>((index * 53 + c * 80 + (c == 1 ? y : x) * 5) % 256);
    e.key = "index:" + std::to_string(index);
    return e;
  }

 private:
  datasets::DatasetInfo info_;
};

// A fixed random 1×1 projection of the average-pooled image: 8 channels per grid cell. Returns NaN tokens
// from call `nan_from` on (0 = never).
class PooledPixelTeacher : public models::Teacher {
 public:
  explicit PooledPixelTeacher(int nan_from = 0) : nan_from_(nan_from) {
    at::Generator g = at::detail::createCPUGenerator(11);
    weight_ = at::randn({8, 3}, g);
  }
  at::Tensor patch_tokens(const at::Tensor& images, int64_t grid_h, int64_t grid_w) override {
    const at::Tensor pooled = at::adaptive_avg_pool2d(images, {grid_h, grid_w}).flatten(2).transpose(1, 2);
    const at::Tensor tokens = at::tanh(at::matmul(pooled, weight_.t().to(images.device())) * 2);
    ++calls_;
    return nan_from_ > 0 && calls_ >= nan_from_ ? tokens * std::numeric_limits<float>::quiet_NaN() : tokens;
  }
  int64_t width() const override { return 8; }
  std::string description() const override { return "pooled-pixel test teacher"; }
  void to(const c10::Device&) override {}

 private:
  at::Tensor weight_;
  int nan_from_;
  int calls_ = 0;
};

inline VaeTrainOptions tiny_options(const std::string& out) {
  VaeTrainOptions o;
  o.batch_size = 4;
  o.data_threads = 1;
  o.preset = "tiny-f4d4";
  o.lpips_weight = 0;
  o.lr = 1e-3;
  o.out = out;
  o.steps = 4;
  o.checkpoint_every = 2;
  o.log_every = 1;
  o.grid_images = 2;
  o.mapper_width = 16;
  o.mapper_projector = 32;
  o.disc_layers = 2;  // a small PatchGAN keeps the tests fast
  o.disc_channels = 16;
  o.seed = 5;
  return o;
}

// tiny_options with an alignment mode and the test teacher.
inline VaeTrainOptions aligned_options(const std::string& out, const std::string& mode) {
  auto o = tiny_options(out);
  o.mode = mode;
  o.teacher = "test";
  return o;
}

}  // namespace latentlab::train::vae_testing
