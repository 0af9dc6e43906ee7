// The normalisation of the latent-diffusion convolutional networks (CompVis/latent-diffusion
// ldm/modules/diffusionmodules/model.py `Normalize`): GroupNorm with 32 groups, eps 1e-6, affine.
#pragma once

#include <cstdint>

#include <torch/nn/modules/normalization.h>

namespace latentlab::nn {

constexpr int64_t kGroupNormGroups = 32;
constexpr double kGroupNormEps = 1e-6;

// `channels` must be a multiple of 32 (checked by the configs that build these networks).
torch::nn::GroupNorm group_norm_32(int64_t channels);

}  // namespace latentlab::nn
