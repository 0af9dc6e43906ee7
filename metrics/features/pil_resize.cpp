// Pillow's bicubic resize of a uint8 image batch: datasets::resize_pil (Pillow-exact, datasets/transforms/
// resize_crop.h) applied image by image.
#include "metrics/features/pil_resize.h"

#include <algorithm>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "core/error.h"
#include "datasets/transforms/resize_crop.h"

namespace latentlab::metrics {

at::Tensor resize_pil_bicubic(const at::Tensor& images, int64_t out_h, int64_t out_w) {
  LATENTLAB_ASSERT(images.scalar_type() == at::kByte && images.dim() == 4 && images.size(3) == 3,
                   "resize_pil_bicubic takes (N, H, W, 3) uint8");
  const at::Tensor in = images.to(at::kCPU).contiguous();
  const int64_t n = in.size(0), pixels = in.size(1) * in.size(2) * 3;
  at::Tensor out = at::empty({n, out_h, out_w, 3}, at::kByte);
  at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      datasets::Image image;
      image.height = static_cast<int>(in.size(1));
      image.width = static_cast<int>(in.size(2));
      const uint8_t* src = in.data_ptr<uint8_t>() + i * pixels;
      image.pixels.assign(src, src + pixels);
      const datasets::Image resized =
          datasets::resize_pil(image, static_cast<int>(out_w), static_cast<int>(out_h), datasets::Filter::Bicubic);
      std::copy(resized.pixels.begin(), resized.pixels.end(), out.data_ptr<uint8_t>() + i * out_h * out_w * 3);
    }
  });
  return out;
}

}  // namespace latentlab::metrics
