#include "models/teacher_grid.h"

#include <cmath>

#include <fmt/ranges.h>

#include <ATen/ATen.h>

#include "core/error.h"

namespace latentlab::models {
namespace {

// The square side of n, or -1.
int64_t teacher_grid_side(int64_t n) {
  const auto s = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(n))));
  return s > 0 && s * s == n ? s : -1;
}

}  // namespace

TeacherNormalization parse_teacher_normalization(const std::string& name, const std::string& subject) {
  if (name == "imagenet") return TeacherNormalization::ImageNet;
  if (name == "unit") return TeacherNormalization::Unit;
  if (name == "signed") return TeacherNormalization::Signed;
  fail_usage(subject, "unknown normalisation '{}' (known: imagenet, unit, signed)", name);
}

const char* teacher_normalization_name(TeacherNormalization normalization) {
  switch (normalization) {
    case TeacherNormalization::ImageNet:
      return "imagenet";
    case TeacherNormalization::Unit:
      return "unit";
    case TeacherNormalization::Signed:
      return "signed";
  }
  return "?";
}

at::Tensor normalize_teacher_input(const at::Tensor& images, TeacherNormalization normalization) {
  if (normalization == TeacherNormalization::Signed) return images;
  const at::Tensor unit = (images + 1) / 2;
  if (normalization == TeacherNormalization::Unit) return unit;
  const auto options = images.options();
  const at::Tensor mean = at::tensor({0.485, 0.456, 0.406}, options.dtype(at::kDouble)).to(options).view({1, 3, 1, 1});
  const at::Tensor std = at::tensor({0.229, 0.224, 0.225}, options.dtype(at::kDouble)).to(options).view({1, 3, 1, 1});
  return (unit - mean) / std;
}

at::Tensor resize_teacher_input(const at::Tensor& images, int64_t height, int64_t width) {
  if (images.size(2) == height && images.size(3) == width) return images;
  const std::vector<int64_t> size{height, width};
  return at::upsample_bicubic2d(images, at::IntArrayRef(size), false);
}

at::Tensor token_map_from_output(const at::Tensor& output, const std::string& subject) {
  if (output.dim() == 4) return output;
  if (output.dim() != 3)
    fail(subject, "the module returned a tensor of shape [{}]; expected (B, N, D) tokens or a (B, D, h, w) map",
         fmt::join(output.sizes(), ", "));
  int64_t n = output.size(1);
  at::Tensor tokens = output;
  int64_t side = teacher_grid_side(n);
  if (side < 0 && teacher_grid_side(n - 1) > 0) {  // a CLS token first
    tokens = output.slice(1, 1);
    side = teacher_grid_side(n - 1);
  }
  if (side < 0)
    fail(subject, "the module returned {} tokens, neither a square grid nor a CLS token plus a square grid", n);
  return tokens.transpose(1, 2).reshape({output.size(0), output.size(2), side, side});
}

at::Tensor map_to_tokens(const at::Tensor& map) {
  return map.flatten(2).transpose(1, 2).contiguous();
}

at::Tensor resample_token_map(const at::Tensor& map, int64_t grid_h, int64_t grid_w) {
  check_teacher_grid(grid_h, grid_w);
  const int64_t h = map.size(2), w = map.size(3);
  if (h == grid_h && w == grid_w) return map_to_tokens(map);
  const std::vector<int64_t> size{grid_h, grid_w};
  if (grid_h <= h && grid_w <= w) return map_to_tokens(at::adaptive_avg_pool2d(map, size));
  return map_to_tokens(at::upsample_bilinear2d(map, at::IntArrayRef(size), false));
}

void check_teacher_grid(int64_t grid_h, int64_t grid_w) {
  if (grid_h < 1 || grid_w < 1) fail_usage("teacher grid", "must be positive, got {}×{}", grid_h, grid_w);
}

}  // namespace latentlab::models
