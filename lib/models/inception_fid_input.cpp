// The resize and normalisation in front of the FID Inception (see the header). The TF 1.x bilinear resize
// follows TensorFlow `core/kernels/image/resize_bilinear_op.cc` (Apache-2.0) with `LegacyScaler`, as
// torch-fidelity's `interpolate_bilinear_2d_like_tensorflow1x` does (Apache-2.0).
#include "models/inception_fid_input.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/ranges.h>

#include "core/error.h"
#include "models/inception_fid.h"

namespace latentlab::models {
namespace {

// TF's compute_interpolation_weights(LegacyScaler) on the host: in = float(i) * scale, scale = in_size / out_size.
struct HostInterpolation {
  std::vector<int64_t> lower, upper;
  std::vector<float> lerp;
};

HostInterpolation host_interpolation_weights(int64_t in_size, int64_t out_size) {
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  HostInterpolation w{std::vector<int64_t>(out_size), std::vector<int64_t>(out_size), std::vector<float>(out_size)};
  for (int64_t i = 0; i < out_size; ++i) {
    const float in = static_cast<float>(i) * scale;
    const float in_floor = std::floor(in);
    w.lower[i] = std::max<int64_t>(static_cast<int64_t>(in_floor), 0);
    w.upper[i] = std::min<int64_t>(static_cast<int64_t>(std::ceil(in)), in_size - 1);
    w.lerp[i] = in - in_floor;
  }
  return w;
}

// tf1-bilinear + (x − 128)/128 from uint8 (N, H, W, 3) to float32 (N, 3, size, size) channels-last, one output
// row per task. Each value takes the float operations of resize_bilinear_tf1 and the normalisation in their order
// (sub, mul, add; the division by 128 is exact), one rounding each, as ATen's elementwise kernels do.
at::Tensor tf1_input_channels_last(const at::Tensor& images, int64_t size) {
  const auto src = images.contiguous();
  const int64_t n = src.size(0), h = src.size(1), w = src.size(2);
  auto out = at::empty({n, 3, size, size},
                       at::TensorOptions().dtype(at::kFloat).memory_format(at::MemoryFormat::ChannelsLast));
  const auto rows = host_interpolation_weights(h, size), cols = host_interpolation_weights(w, size);
  const uint8_t* pixels = src.data_ptr<uint8_t>();
  float* values = out.data_ptr<float>();
  at::parallel_for(0, n * size, 1, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t image = r / size, y = r % size;
      const uint8_t* top = pixels + (image * h + rows.lower[y]) * w * 3;
      const uint8_t* bottom = pixels + (image * h + rows.upper[y]) * w * 3;
      const float y_lerp = rows.lerp[y];
      float* row = values + r * size * 3;  // (size, 3) of this output row, NHWC
      for (int64_t x = 0; x < size; ++x) {
        const int64_t left = cols.lower[x] * 3, right = cols.upper[x] * 3;
        const float x_lerp = cols.lerp[x];
        for (int64_t c = 0; c < 3; ++c) {
          const float top_left = top[left + c], top_right = top[right + c];
          const float bottom_left = bottom[left + c], bottom_right = bottom[right + c];
          const float top_row = top_left + (top_right - top_left) * x_lerp;
          const float bottom_row = bottom_left + (bottom_right - bottom_left) * x_lerp;
          const float value = top_row + (bottom_row - top_row) * y_lerp;
          row[x * 3 + c] = (value - 128.0f) / 128.0f;
        }
      }
    }
  });
  return out;
}

struct Interpolation {
  at::Tensor lower, upper;  // int64 (out) source indices
  at::Tensor lerp;          // float32 (out) weight of `upper`
};

// The same weights as tensors on `device`.
Interpolation interpolation_weights(int64_t in_size, int64_t out_size, const at::Device& device) {
  auto w = host_interpolation_weights(in_size, out_size);
  const auto to_device = [&](auto& values, c10::ScalarType type) {
    return at::from_blob(values.data(), {out_size}, at::TensorOptions().dtype(type)).to(device, true).clone();
  };
  return {to_device(w.lower, at::kLong), to_device(w.upper, at::kLong), to_device(w.lerp, at::kFloat)};
}

}  // namespace

const char* resize_name(InceptionResize mode) {
  return mode == InceptionResize::TF1Bilinear ? "tf1-bilinear" : "torch-bilinear";
}

const char* normalization_name(InceptionResize mode) {
  return mode == InceptionResize::TF1Bilinear ? "(x-128)/128" : "2*(x/255)-1";
}

std::vector<std::string> resize_names() {
  return {"tf1-bilinear", "torch-bilinear"};
}

InceptionResize parse_resize(const std::string& name, const std::string& subject) {
  if (name == "tf1-bilinear") return InceptionResize::TF1Bilinear;
  if (name == "torch-bilinear") return InceptionResize::TorchBilinear;
  fail_usage(subject, "unknown resize mode '{}' (known: {})", name, fmt::join(resize_names(), ", "));
}

at::Tensor resize_bilinear_tf1(const at::Tensor& x, int64_t out_h, int64_t out_w) {
  LATENTLAB_ASSERT(x.dim() == 4 && x.scalar_type() == at::kFloat, "resize_bilinear_tf1 needs (N, C, H, W) float32");
  const auto rows = interpolation_weights(x.size(2), out_h, x.device());
  const auto cols = interpolation_weights(x.size(3), out_w, x.device());
  const auto top = x.index_select(2, rows.lower), bottom = x.index_select(2, rows.upper);  // (N, C, out_h, W)
  const auto top_left = top.index_select(3, cols.lower), top_right = top.index_select(3, cols.upper);
  const auto bottom_left = bottom.index_select(3, cols.lower), bottom_right = bottom.index_select(3, cols.upper);
  const auto x_lerp = cols.lerp.view({1, 1, 1, out_w}), y_lerp = rows.lerp.view({1, 1, out_h, 1});
  const auto top_row = top_left + (top_right - top_left) * x_lerp;
  const auto bottom_row = bottom_left + (bottom_right - bottom_left) * x_lerp;
  return top_row + (bottom_row - top_row) * y_lerp;
}

void check_inception_images(const at::Tensor& images) {
  if (!images.defined() || images.scalar_type() != at::kByte || images.dim() != 4 || images.size(3) != 3 ||
      images.size(1) < 1 || images.size(2) < 1) {
    fail("images", "the Inception extractor takes uint8 (N, H, W, 3) RGB images, got {} ({})",
         images.defined() ? c10::toString(images.scalar_type()) : "no tensor",
         images.defined() ? fmt::format("{}", fmt::join(images.sizes(), ", ")) : "");
  }
}

at::Tensor prepare_inception_input(const at::Tensor& images, InceptionResize mode) {
  check_inception_images(images);
  const int64_t size = kInceptionInputSize;
  const bool resize = images.size(1) != size || images.size(2) != size;
  auto x = images.permute({0, 3, 1, 2}).to(at::kFloat).contiguous();  // (N, 3, H, W) in [0, 255]
  if (mode == InceptionResize::TF1Bilinear) {
    if (resize) x = resize_bilinear_tf1(x, size, size);
    return (x - 128.0) / 128.0;
  }
  // pytorch-fid: ToTensor's x/255, F.interpolate(size=(299, 299), bilinear, align_corners=False), 2x − 1.
  x = x.div(255.0);
  if (resize) x = at::upsample_bilinear2d(x, {size, size}, /*align_corners=*/false);
  return 2.0 * x - 1.0;
}

at::Tensor prepare_inception_input_channels_last(const at::Tensor& images, InceptionResize mode) {
  check_inception_images(images);
  if (mode == InceptionResize::TF1Bilinear && images.device().is_cpu())
    return tf1_input_channels_last(images, kInceptionInputSize);
  return prepare_inception_input(images, mode).contiguous(at::MemoryFormat::ChannelsLast);
}

}  // namespace latentlab::models
