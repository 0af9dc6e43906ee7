// The fixed 2-D sin-cos position embedding of MAE/DiT/SiT and the Send-VAE mapper (facebookresearch/mae
// util/pos_embed.py `get_2d_sincos_pos_embed`, CC BY-NC 4.0; the formula, not the code). For a grid of
// rows × cols tokens in row-major order and width D (a multiple of 4), token (i, j) gets
//
//   [ sin(j·ω_k), cos(j·ω_k) | sin(i·ω_k), cos(i·ω_k) ],   ω_k = 1 / 10000^(k/(D/4)), k = 0 … D/4 − 1
//
// i.e. the first half encodes the column (MAE's meshgrid puts w first) and the second half the row; each half
// is D/4 sines followed by D/4 cosines. Computed in float64 (as numpy does) and cast to `options`.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <c10/core/TensorOptions.h>

namespace latentlab::nn {

// -> (rows·cols)×D tensor with `options` (dtype, device). D must be a positive multiple of 4 (asserted).
at::Tensor sincos_2d_positions(int64_t width, int64_t rows, int64_t cols, const at::TensorOptions& options);

}  // namespace latentlab::nn
