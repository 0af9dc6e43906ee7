#include "models/sendvae_mapper_positions.h"

#include "nn/sincos_positions.h"

namespace latentlab::models {

at::Tensor sincos_2d_position_embedding(int64_t width, int64_t rows, int64_t cols, const at::TensorOptions& options) {
  return nn::sincos_2d_positions(width, rows, cols, options);
}

}  // namespace latentlab::models
