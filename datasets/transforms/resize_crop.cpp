// PIL-compatible separable resampling and the crop protocols built on it; the rules are in resize_crop.h.
// Written from Pillow's documented behaviour and the arithmetic it specifies (float64 tap positions, 22-bit
// fixed-point weights, uint8 intermediate); every floating-point expression keeps Pillow's evaluation order,
// because a one-ulp difference in a weight can move a pixel by one level.
#include "datasets/transforms/resize_crop.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/error.h"

namespace latentlab::datasets {
namespace {

// Sizes beyond this are surely a mistake, and keep 2*size and size*long far from overflow.
constexpr int kMaxSide = 1 << 16;
// Pillow's weight precision: 32 bits minus 8 for the pixel minus 2 for negative lobes and overshoot.
constexpr int kPrecisionBits = 22;

struct Kernel {
  double (*weight)(double x);
  double support;  // half-width at scale 1
};

double box_weight(double x) {
  return (x > -0.5 && x <= 0.5) ? 1.0 : 0.0;
}

double triangle_weight(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

// Keys' cubic convolution with a = -0.5; the evaluation order matches Pillow's.
double cubic_weight(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

Kernel kernel_of(Filter filter) {
  switch (filter) {
    case Filter::Bicubic:
      return {cubic_weight, 2.0};
    case Filter::Bilinear:
      return {triangle_weight, 1.0};
    case Filter::Area:
      return {box_weight, 0.5};
  }
  LATENTLAB_ASSERT(false, "unknown filter {}", static_cast<int>(filter));
  return {box_weight, 0.5};
}

// For each output index: the first input index, the tap count and `width` fixed-point weights.
struct Taps {
  int width = 0;
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weights;
};

Taps compute_taps(int in_size, int out_size, const Kernel& kernel) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double stretch = std::max(scale, 1.0);  // antialias only when shrinking
  const double support = kernel.support * stretch;
  const double inverse_stretch = 1.0 / stretch;
  Taps taps;
  taps.width = static_cast<int>(std::ceil(support)) * 2 + 1;
  taps.first.resize(out_size);
  taps.count.resize(out_size);
  taps.weights.assign(static_cast<size_t>(out_size) * taps.width, 0);
  std::vector<double> w(taps.width);
  for (int o = 0; o < out_size; ++o) {
    const double center = (o + 0.5) * scale;
    // Truncation towards zero, then clipping, exactly as Pillow bounds its taps.
    const int lo = std::max(static_cast<int>(center - support + 0.5), 0);
    const int hi = std::min(static_cast<int>(center + support + 0.5), in_size);
    const int n = hi - lo;
    double sum = 0.0;
    for (int i = 0; i < n; ++i) {
      w[i] = kernel.weight((lo + i - center + 0.5) * inverse_stretch);
      sum += w[i];
    }
    int32_t* fixed = &taps.weights[static_cast<size_t>(o) * taps.width];
    for (int i = 0; i < n; ++i) {
      const double normalised = sum != 0.0 ? w[i] / sum : w[i];
      const double scaled = normalised * (1 << kPrecisionBits);
      fixed[i] = static_cast<int32_t>(normalised < 0 ? scaled - 0.5 : scaled + 0.5);  // round half away
    }
    taps.first[o] = lo;
    taps.count[o] = n;
  }
  return taps;
}

// Accumulators start at one half so the shift rounds half up; Pillow clips after the shift. They are
// 32-bit as in Pillow: 255 x 2^22 x (sum of |weights| < 1.3) stays below 2^31, and 32-bit lanes let the
// compiler vectorise the column pass.
constexpr int32_t kHalf = int32_t{1} << (kPrecisionBits - 1);

uint8_t to_pixel(int32_t acc) {
  if (acc < 0) return 0;
  return static_cast<uint8_t>(std::min<int32_t>(acc >> kPrecisionBits, 255));
}

// Rows [row_first, row_last) of `in`, resampled to `taps.first.size()` columns.
Image resample_rows(const Image& in, const Taps& taps, int row_first, int row_last) {
  Image out;
  out.width = static_cast<int>(taps.first.size());
  out.height = row_last - row_first;
  out.pixels.resize(static_cast<size_t>(out.width) * out.height * 3);
  for (int y = 0; y < out.height; ++y) {
    const uint8_t* src = &in.pixels[static_cast<size_t>(y + row_first) * in.width * 3];
    uint8_t* dst = &out.pixels[static_cast<size_t>(y) * out.width * 3];
    for (int x = 0; x < out.width; ++x) {
      const int32_t* k = &taps.weights[static_cast<size_t>(x) * taps.width];
      const uint8_t* p = src + static_cast<size_t>(taps.first[x]) * 3;
      int32_t r = kHalf, g = kHalf, b = kHalf;
      for (int i = 0; i < taps.count[x]; ++i, p += 3) {
        r += p[0] * k[i];
        g += p[1] * k[i];
        b += p[2] * k[i];
      }
      dst[3 * x + 0] = to_pixel(r);
      dst[3 * x + 1] = to_pixel(g);
      dst[3 * x + 2] = to_pixel(b);
    }
  }
  return out;
}

// `in` resampled to `taps.first.size()` rows; taps index rows of `in` shifted down by `row_offset`.
Image resample_columns(const Image& in, const Taps& taps, int row_offset) {
  Image out;
  out.width = in.width;
  out.height = static_cast<int>(taps.first.size());
  const size_t row_bytes = static_cast<size_t>(in.width) * 3;
  out.pixels.resize(row_bytes * out.height);
  std::vector<int32_t> acc(row_bytes);
  for (int y = 0; y < out.height; ++y) {
    std::fill(acc.begin(), acc.end(), kHalf);
    const int32_t* k = &taps.weights[static_cast<size_t>(y) * taps.width];
    for (int i = 0; i < taps.count[y]; ++i) {
      const uint8_t* src = &in.pixels[static_cast<size_t>(taps.first[y] - row_offset + i) * row_bytes];
      const int32_t weight = k[i];
      for (size_t j = 0; j < row_bytes; ++j) acc[j] += src[j] * weight;
    }
    uint8_t* dst = &out.pixels[static_cast<size_t>(y) * row_bytes];
    for (size_t j = 0; j < row_bytes; ++j) dst[j] = to_pixel(acc[j]);
  }
  return out;
}

void check_image(const Image& image, const char* what) {
  if (image.width <= 0 || image.height <= 0)
    fail(what, "image is empty ({}x{}); expected at least 1x1", image.height, image.width);
  const uint64_t expected = checked_mul(checked_mul(image.height, image.width, what), 3, what);
  if (image.pixels.size() != expected)
    fail(what, "image of {}x{} holds {} bytes; expected {} (RGB)", image.height, image.width, image.pixels.size(),
         expected);
}

void check_side(int side, const char* what) {
  if (side <= 0 || side > kMaxSide) fail_usage(what, "size {} is out of range (1..{})", side, kMaxSide);
}

// Python's round() of a non-negative double: half to even.
int round_half_even(double v) {
  const double floor_v = std::floor(v);
  const double fraction = v - floor_v;
  int r = static_cast<int>(floor_v);
  if (fraction > 0.5 || (fraction == 0.5 && r % 2 != 0)) ++r;
  return r;
}

Image crop_at(const Image& image, int top, int left, int size) {
  Image out;
  out.width = out.height = size;
  out.pixels.resize(static_cast<size_t>(size) * size * 3);
  const size_t row_bytes = static_cast<size_t>(size) * 3;
  for (int y = 0; y < size; ++y) {
    const uint8_t* src = &image.pixels[(static_cast<size_t>(top + y) * image.width + left) * 3];
    std::copy(src, src + row_bytes, &out.pixels[y * row_bytes]);
  }
  return out;
}

}  // namespace

std::string filter_name(Filter filter) {
  switch (filter) {
    case Filter::Bicubic:
      return "bicubic";
    case Filter::Bilinear:
      return "bilinear";
    case Filter::Area:
      return "area";
  }
  LATENTLAB_ASSERT(false, "unknown filter {}", static_cast<int>(filter));
  return "";
}

Filter parse_filter(const std::string& name, const std::string& subject) {
  for (Filter f : {Filter::Bicubic, Filter::Bilinear, Filter::Area})
    if (name == filter_name(f)) return f;
  if (name == "box") return Filter::Area;
  fail_usage(subject, "unknown filter '{}' (known: bicubic, bilinear, area)", name);
}

Image resize_pil(const Image& image, int width, int height, Filter filter) {
  check_image(image, "resize");
  check_side(width, "resize width");
  check_side(height, "resize height");
  const bool horizontal = width != image.width;
  const bool vertical = height != image.height;
  if (!horizontal && !vertical) return image;  // Pillow returns a copy
  const Kernel kernel = kernel_of(filter);
  const Taps rows = compute_taps(image.width, width, kernel);
  if (!vertical) return resample_rows(image, rows, 0, image.height);
  const Taps columns = compute_taps(image.height, height, kernel);
  if (!horizontal) return resample_columns(image, columns, 0);
  // Only the rows the vertical pass reads go through the horizontal pass (same values, less work).
  const int row_first = columns.first.front();
  const int row_last = columns.first.back() + columns.count.back();
  return resample_columns(resample_rows(image, rows, row_first, row_last), columns, row_first);
}

Image adm_center_crop(const Image& image, int size) {
  check_image(image, "adm-center-crop");
  check_side(size, "crop size");
  Image current;
  const Image* in = &image;  // avoids copying the input when no halving is needed
  while (std::min(in->width, in->height) >= 2 * size) {
    current = resize_pil(*in, in->width / 2, in->height / 2, Filter::Area);
    in = &current;
  }
  // center_crop_arr: scale = size / min(W, H); new side = round(side * scale), both in float64.
  const double scale = static_cast<double>(size) / std::min(in->width, in->height);
  const int width = round_half_even(in->width * scale);
  const int height = round_half_even(in->height * scale);
  Image resized = resize_pil(*in, width, height, Filter::Bicubic);
  LATENTLAB_ASSERT(std::min(width, height) == size, "short side {} after scaling to {}", std::min(width, height), size);
  return crop_at(resized, (height - size) / 2, (width - size) / 2, size);
}

std::string adm_center_crop_protocol_name() {
  return "adm-center-crop";
}

Image resize_center_crop(const Image& image, int size, Filter filter) {
  check_image(image, "resize-center-crop");
  check_side(size, "crop size");
  const bool portrait = image.width <= image.height;
  const int short_side = portrait ? image.width : image.height;
  const int long_side = portrait ? image.height : image.width;
  // torchvision: int(size * long / short), a float64 quotient truncated.
  const double quotient = static_cast<double>(int64_t{size} * long_side) / short_side;
  if (quotient > kMaxSide) fail("resize-center-crop", "long side would become {:.0f} (max {})", quotient, kMaxSide);
  const int new_long = static_cast<int>(quotient);
  const int width = portrait ? size : new_long;
  const int height = portrait ? new_long : size;
  const Image resized = resize_pil(image, width, height, filter);
  // torchvision CenterCrop: int(round((side - size) / 2.0)).
  return crop_at(resized, round_half_even((height - size) / 2.0), round_half_even((width - size) / 2.0), size);
}

std::string resize_center_crop_protocol_name(Filter filter) {
  return "resize-pil-" + std::string(filter == Filter::Area ? "box" : filter_name(filter)) + "-center-crop";
}

Image center_crop(const Image& image, int size) {
  check_image(image, "center-crop");
  check_side(size, "crop size");
  if (image.width < size || image.height < size)
    fail("center-crop", "image of {}x{} is smaller than the crop size {}", image.height, image.width, size);
  return crop_at(image, (image.height - size) / 2, (image.width - size) / 2, size);
}

std::string center_crop_protocol_name() {
  return "center-crop";
}

}  // namespace latentlab::datasets
