#include "train/image_grid.h"

#include <fstream>

#include <ATen/ATen.h>
#include <fmt/format.h>
#ifdef LATENTLAB_WITH_OPENCV
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#endif

#include "core/error.h"

namespace latentlab::train {

datasets::Image tile_grid(const std::vector<at::Tensor>& rows, int pad) {
  LATENTLAB_ASSERT(!rows.empty() && rows[0].dim() == 4 && rows[0].size(1) == 3, "grid rows must be (N, 3, H, W)");
  const int64_t n = rows[0].size(0), h = rows[0].size(2), w = rows[0].size(3);
  datasets::Image out;
  out.height = static_cast<int>(rows.size() * (h + pad) + pad);
  out.width = static_cast<int>(n * (w + pad) + pad);
  out.pixels.assign(static_cast<size_t>(out.height) * out.width * 3, 0);
  for (size_t r = 0; r < rows.size(); ++r) {
    LATENTLAB_ASSERT(rows[r].sizes() == rows[0].sizes(), "grid rows differ in shape");
    // [-1, 1] -> uint8 HWC, rounding as x/127.5 − 1 inverts.
    const at::Tensor u8 = ((rows[r].detach().to(at::kCPU, at::kFloat).clamp(-1, 1) + 1) * 127.5)
                              .round()
                              .to(at::kByte)
                              .permute({0, 2, 3, 1})
                              .contiguous();
    const uint8_t* src = u8.data_ptr<uint8_t>();
    for (int64_t i = 0; i < n; ++i)
      for (int64_t y = 0; y < h; ++y) {
        const size_t row = static_cast<size_t>(pad + r * (h + pad) + y);
        const size_t col = static_cast<size_t>(pad + i * (w + pad));
        std::copy_n(src + ((i * h + y) * w) * 3, w * 3, out.pixels.begin() + (row * out.width + col) * 3);
      }
  }
  return out;
}

std::string write_grid_image(const std::string& stem, const datasets::Image& image) {
#ifdef LATENTLAB_WITH_OPENCV
  const std::string path = stem + ".png";
  cv::Mat rgb(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.pixels.data())), bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  if (!cv::imwrite(path, bgr)) fail(path, "cannot write PNG");
#else
  const std::string path = stem + ".ppm";
  std::ofstream out(path, std::ios::binary);
  out << fmt::format("P6\n{} {}\n255\n", image.width, image.height);
  out.write(reinterpret_cast<const char*>(image.pixels.data()), static_cast<std::streamsize>(image.pixels.size()));
  if (!out) fail(path, "cannot write PPM");
#endif
  return path;
}

}  // namespace latentlab::train
