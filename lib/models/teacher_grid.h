// Shared pieces of the teachers (models/teacher.h): the [−1, 1] → ImageNet input normalisation, the bicubic
// input resize REPA uses for DINOv2, and bringing a teacher's token grid to the grid a student asks for.
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/Tensor.h>

namespace latentlab::models {

// How a teacher wants its [0, 1] pixels: ImageNet mean/std (DINOv2, most torchvision/timm backbones), [0, 1]
// as is ("unit"), or back in [−1, 1] ("signed").
enum class TeacherNormalization { ImageNet, Unit, Signed };

// "imagenet" | "unit" | "signed"; UserError naming `subject` otherwise.
TeacherNormalization parse_teacher_normalization(const std::string& name, const std::string& subject);
const char* teacher_normalization_name(TeacherNormalization normalization);

// images (B, 3, H, W) in [−1, 1] -> (images + 1) / 2, then the normalisation.
at::Tensor normalize_teacher_input(const at::Tensor& images, TeacherNormalization normalization);

// Bicubic resize (A = −0.75, align_corners false, no antialias: REPA's `F.interpolate(x, 224, mode="bicubic")`)
// to height × width; the input itself when it already has that size.
at::Tensor resize_teacher_input(const at::Tensor& images, int64_t height, int64_t width);

// A teacher's output as a (B, D, h, w) map: (B, D, h, w) is taken as is; (B, N, D) tokens must be a square
// grid (N = s²), or a CLS token followed by one (N = 1 + s², the CLS token dropped). UserError naming
// `subject` otherwise.
at::Tensor token_map_from_output(const at::Tensor& output, const std::string& subject);

// (B, D, h, w) -> (B, grid_h·grid_w, D) row-major tokens. Same grid: unchanged. A grid no larger in either
// side: area resampling (adaptive average pooling, exact box means when the sides divide). Otherwise
// bilinear (align_corners false), as for an upsampled feature map.
at::Tensor resample_token_map(const at::Tensor& map, int64_t grid_h, int64_t grid_w);

// (B, D, h, w) -> (B, h·w, D), row-major.
at::Tensor map_to_tokens(const at::Tensor& map);

// UserError naming "teacher grid" unless both sides are positive.
void check_teacher_grid(int64_t grid_h, int64_t grid_w);

}  // namespace latentlab::models
