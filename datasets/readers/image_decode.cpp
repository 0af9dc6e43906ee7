#include "datasets/readers/image_decode.h"

#include <climits>
#include <cstring>

#include "core/error.h"
#include "io/mapped_file.h"

#ifdef LATENTLAB_WITH_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#endif

namespace latentlab::datasets {

#ifdef LATENTLAB_WITH_OPENCV
namespace {

// The format the leading bytes announce, for error messages only: decoding itself is left to OpenCV, which
// sniffs the same signatures. Empty when none of the formats image folders hold matches.
std::string sniff_format(const uint8_t* data, size_t size) {
  const auto starts = [&](const char* magic, size_t n, size_t at = 0) {
    return size >= at + n && std::memcmp(data + at, magic, n) == 0;
  };
  if (starts("\xFF\xD8\xFF", 3)) return "JPEG";
  if (starts("\x89PNG\r\n\x1A\n", 8)) return "PNG";
  if (starts("RIFF", 4) && starts("WEBP", 4, 8)) return "WebP";
  if (starts("BM", 2)) return "BMP";
  return "";
}

// One stored channel value as 8 bits: 16-bit values are rounded from v / 257 as round = floor((2v + 257) / 514).
template <typename T>
uint8_t to_u8(T v) {
  if constexpr (sizeof(T) == 1)
    return v;
  else
    return static_cast<uint8_t>((2u * v + 257u) / 514u);
}

// Stored channels (grey, grey + alpha, BGR, BGRA) -> RGB, alpha dropped.
template <typename T>
void convert(const cv::Mat& mat, Image& image) {
  const int channels = mat.channels();
  uint8_t* out = image.pixels.data();
  for (int y = 0; y < mat.rows; ++y) {
    const T* in = mat.ptr<T>(y);
    for (int x = 0; x < mat.cols; ++x, in += channels, out += 3) {
      if (channels <= 2) {  // grey (+ alpha)
        out[0] = out[1] = out[2] = to_u8(in[0]);
      } else {  // BGR (+ alpha)
        out[0] = to_u8(in[2]);
        out[1] = to_u8(in[1]);
        out[2] = to_u8(in[0]);
      }
    }
  }
}

}  // namespace

bool image_decode_supported() {
  return true;
}

Image decode_image(const uint8_t* data, size_t size, const std::string& subject) {
  if (size == 0) fail(subject, "cannot decode image (the file is empty)");
  if (size > static_cast<size_t>(INT_MAX)) fail(subject, "cannot decode image (files over 2 GiB are not read)");
  const std::string format = sniff_format(data, size);
  cv::Mat mat;
  try {
    // imdecode only reads its input: the const_cast lets a read-only buffer be wrapped without a copy.
    const cv::Mat encoded(1, static_cast<int>(size), CV_8UC1, const_cast<uint8_t*>(data));
    mat = cv::imdecode(encoded, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {  // e.g. dimensions over OpenCV's pixel limit
    fail(subject, "cannot decode image ({})", e.err);
  }
  if (mat.empty()) {
    if (format.empty()) fail(subject, "cannot decode image (not a JPEG, PNG, WebP or BMP file)");
    fail(subject, "cannot decode image (corrupt or truncated {} data)", format);
  }
  const int channels = mat.channels();
  if (mat.dims != 2 || channels < 1 || channels > 4)
    fail(subject, "cannot decode image ({} channels; expected grey, grey + alpha, RGB or RGBA)", channels);
  Image image;
  image.height = mat.rows;
  image.width = mat.cols;
  image.pixels.resize(static_cast<size_t>(mat.rows) * static_cast<size_t>(mat.cols) * 3);
  switch (mat.depth()) {
    case CV_8U:
      convert<uint8_t>(mat, image);
      break;
    case CV_16U:
      convert<uint16_t>(mat, image);
      break;
    default:
      fail(subject, "cannot decode image (OpenCV depth {} is neither 8- nor 16-bit unsigned)", mat.depth());
  }
  return image;
}

#else  // no OpenCV: say so instead of failing to link

bool image_decode_supported() {
  return false;
}

Image decode_image(const uint8_t*, size_t, const std::string& subject) {
  fail(subject, "cannot decode image (this build lacks OpenCV, which image files need)");
}

#endif  // LATENTLAB_WITH_OPENCV

Image decode_image(const std::vector<uint8_t>& bytes, const std::string& subject) {
  return decode_image(bytes.data(), bytes.size(), subject);
}

Image read_image(const std::string& path) {
  // Read, not mapped: a file truncated while mapped would raise SIGBUS instead of a decode error.
  return decode_image(io::read_file(path), path);
}

}  // namespace latentlab::datasets
