// The procedural teacher's (models/teacher_procedural.h) labelled data and its evaluation: head accuracies and
// token maps in batches. The training loop is train/teacher_trainer.h (lib/train: checkpoints, resume, data
// parallelism), behind `latentlab train-teacher`.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "models/teacher_procedural.h"

namespace latentlab::models {

struct TeacherTrainingData {
  at::Tensor images;                // (N, 3, r, r) uint8, RGB
  std::vector<at::Tensor> targets;  // one (N) int64 tensor of class indices per taught factor
};

// uint8 (N, 3, r, r) -> float32 in [−1, 1] (x / 127.5 − 1, the VAE input convention).
at::Tensor images_to_signed(const at::Tensor& images_uint8);

// The network's input: [−1, 1] images on `device` in the dtype of its parameters (float32, or float64 for
// exactness checks).
at::Tensor network_input(ProceduralTeacherNet& net, const at::Tensor& images_uint8, const at::Device& device);

// Eval-mode accuracy of every head on `data` (batches of `batch_size`).
std::vector<double> head_accuracies(ProceduralTeacherNet& net, const TeacherTrainingData& data, int64_t batch_size,
                                    const at::Device& device);

// Eval-mode token maps (N, width, grid, grid) on the CPU, in batches.
at::Tensor teacher_token_maps(ProceduralTeacherNet& net, const at::Tensor& images_uint8, int64_t batch_size,
                              const at::Device& device);

}  // namespace latentlab::models
