// Training the procedural teacher (models/teacher_procedural.h) on its taught factors: a minimal seeded loop
// (AdamW, constant learning rate after a linear warmup, summed cross-entropy of the heads), behind
// `latentlab train-teacher`. Generic pieces (optimiser set-up, schedules) belong to lib/train once it exists.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include <ATen/core/Tensor.h>

#include "models/teacher_procedural.h"

namespace latentlab::models {

struct TeacherTrainingData {
  at::Tensor images;                // (N, 3, r, r) uint8, RGB
  std::vector<at::Tensor> targets;  // one (N) int64 tensor of class indices per taught factor
};

struct ProceduralTeacherTrainOptions {
  int64_t steps = 1000;
  int64_t batch_size = 64;
  double lr = 2e-3;
  double weight_decay = 1e-4;
  int64_t warmup = 50;  // steps of linear warmup from lr / warmup
  uint64_t seed = 0;    // the batch order (seeded epoch permutations)
};

// Trains `net` in place on `device`; `on_step(step, loss)` after every step. Returns the losses.
std::vector<double> train_procedural_teacher(ProceduralTeacherNet& net, const TeacherTrainingData& data,
                                             const ProceduralTeacherTrainOptions& options, const at::Device& device,
                                             const std::function<void(int64_t, double)>& on_step = {});

// uint8 (N, 3, r, r) -> float32 in [−1, 1] (x / 127.5 − 1, the VAE input convention).
at::Tensor images_to_signed(const at::Tensor& images_uint8);

// Eval-mode accuracy of every head on `data` (batches of `batch_size`).
std::vector<double> head_accuracies(ProceduralTeacherNet& net, const TeacherTrainingData& data, int64_t batch_size,
                                    const at::Device& device);

// Eval-mode token maps (N, width, grid, grid) on the CPU, in batches.
at::Tensor teacher_token_maps(ProceduralTeacherNet& net, const at::Tensor& images_uint8, int64_t batch_size,
                              const at::Device& device);

}  // namespace latentlab::models
