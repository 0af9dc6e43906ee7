// The Send-VAE mapper's fixed 2-D sin-cos positions: MAE's `get_2d_sincos_pos_embed` on a rows × cols grid,
// nn::sincos_2d_positions (nn/sincos_positions.h, shared with SiT; the formula is written there).
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <c10/core/TensorOptions.h>

namespace latentlab::models {

// -> (rows·cols)×D tensor with `options` (dtype, device). D must be a positive multiple of 4 (asserted).
at::Tensor sincos_2d_position_embedding(int64_t width, int64_t rows, int64_t cols, const at::TensorOptions& options);

}  // namespace latentlab::models
