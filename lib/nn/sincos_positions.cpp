#include "nn/sincos_positions.h"

#include <ATen/ATen.h>

#include "core/error.h"

namespace latentlab::nn {
namespace {

// positions: M float64 -> M×(2·quarter) [sin | cos].
at::Tensor sincos_1d(const at::Tensor& positions, int64_t quarter) {
  const at::Tensor k = at::arange(quarter, positions.options());
  const at::Tensor omega = 1.0 / at::pow(10000.0, k / static_cast<double>(quarter));
  const at::Tensor angles = at::outer(positions, omega);
  return at::cat({at::sin(angles), at::cos(angles)}, 1);
}

}  // namespace

at::Tensor sincos_2d_positions(int64_t width, int64_t rows, int64_t cols, const at::TensorOptions& options) {
  LATENTLAB_ASSERT(width > 0 && width % 4 == 0, "sin-cos width {} is not a positive multiple of 4", width);
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  const at::Tensor row = at::arange(rows, f64).repeat_interleave(cols);  // i of token i·cols + j
  const at::Tensor col = at::arange(cols, f64).repeat({rows});           // j
  const int64_t quarter = width / 4;
  return at::cat({sincos_1d(col, quarter), sincos_1d(row, quarter)}, 1).to(options);
}

}  // namespace latentlab::nn
