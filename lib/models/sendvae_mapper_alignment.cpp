#include "models/sendvae_mapper_alignment.h"

#include <cmath>

#include <ATen/ATen.h>
#include <c10/util/StringUtil.h>

#include "core/error.h"

namespace latentlab::models {
namespace {

constexpr const char* kAlignmentSubject = "sendvae-alignment";

int64_t token_grid_side(int64_t n) {
  const auto side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(n))));
  return side * side == n ? side : 0;
}

at::Tensor unit(const at::Tensor& x) {
  return x / x.norm(2, {-1}, /*keepdim=*/true).clamp_min(1e-12);
}

}  // namespace

at::Tensor teacher_tokens_to_grid(const at::Tensor& teacher, int64_t rows, int64_t cols, const std::string& subject) {
  if (teacher.dim() != 3 || teacher.size(1) < 1)
    fail(subject, "teacher tokens must be B×N×D, got {}", c10::str(teacher.sizes()));
  const int64_t n = teacher.size(1);
  if (n == rows * cols) return teacher;
  const int64_t side = token_grid_side(n);
  if (side == 0)
    fail(subject, "{} teacher tokens form no square grid and differ from the latent grid {}×{}", n, rows, cols);
  const int64_t b = teacher.size(0), d = teacher.size(2);
  const at::Tensor image = teacher.transpose(1, 2).reshape({b, d, side, side});
  const at::Tensor resized = at::upsample_bilinear2d(image, {rows, cols}, /*align_corners=*/false);
  return resized.flatten(2).transpose(1, 2);
}

at::Tensor mean_patch_cosine(const at::Tensor& tokens, const at::Tensor& teacher_on_grid) {
  return (unit(tokens) * unit(teacher_on_grid)).sum(-1).mean();
}

at::Tensor sendvae_alignment_loss(const at::Tensor& tokens, const at::Tensor& teacher, int64_t rows, int64_t cols) {
  if (tokens.dim() != 3 || tokens.size(1) != rows * cols)
    fail(kAlignmentSubject, "mapper tokens must be B×{}×D for a {}×{} grid, got {}", rows * cols, rows, cols,
         c10::str(tokens.sizes()));
  if (teacher.dim() != 3 || teacher.size(0) != tokens.size(0) || teacher.size(2) != tokens.size(2))
    fail(kAlignmentSubject, "teacher tokens {} do not fit mapper tokens {} (same batch and width needed)",
         c10::str(teacher.sizes()), c10::str(tokens.sizes()));
  return 1.0 - mean_patch_cosine(tokens, teacher_tokens_to_grid(teacher, rows, cols, kAlignmentSubject));
}

}  // namespace latentlab::models
