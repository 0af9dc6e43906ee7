// A tiny procedural-teacher network and a synthetic task it can learn in a few steps, shared by the teacher
// tests of unit_models (save/load) and unit_train (the trainer).
#pragma once

#include <ATen/ATen.h>

#include "models/teacher_procedural.h"
#include "models/teacher_procedural_train.h"

namespace latentlab::testing {

// 16² inputs, 4×4 tokens of width 12; heads "colour" (4 classes) and "side" (2).
inline models::ProceduralTeacherConfig tiny_teacher_config() {
  models::ProceduralTeacherConfig c;
  c.resolution = 16;
  c.channels = 8;
  c.levels = 2;
  c.width = 12;
  c.groups = 4;
  c.factors = {"colour", "side"};
  c.classes = {4, 2};
  return c;
}

// 16×16 images: a 6×6 square of one of 4 colours on the left or the right half, at a random height.
inline models::TeacherTrainingData synthetic_teacher_data(int64_t n, uint64_t seed) {
  at::Generator g = at::detail::createCPUGenerator(seed);
  const at::Tensor colour = at::randint(4, {n}, g, at::kLong), side = at::randint(2, {n}, g, at::kLong);
  const at::Tensor top = at::randint(10, {n}, g, at::kLong);
  const float palette[4][3] = {{255, 40, 40}, {40, 255, 40}, {40, 40, 255}, {255, 255, 255}};
  at::Tensor images = at::zeros({n, 3, 16, 16}, at::kByte);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t x = side[i].item<int64_t>() ? 9 : 1, y = top[i].item<int64_t>();
    for (int c = 0; c < 3; ++c)
      images[i][c].slice(0, y, y + 6).slice(1, x, x + 6).fill_(palette[colour[i].item<int64_t>()][c]);
  }
  return {images, {colour, side}};
}

}  // namespace latentlab::testing
