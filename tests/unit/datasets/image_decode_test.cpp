// Image decoding: fixtures encoded by OpenCV itself (cv::imencode), compared pixel for pixel where the format
// is lossless (PNG 8/16-bit, BMP, lossless WebP) and within a tolerance for JPEG; grey + alpha, which OpenCV
// cannot write, comes from PIL and is compared against PIL's own convert("RGB"). Broken files must fail with
// one UserError naming the file.
#ifdef LATENTLAB_WITH_OPENCV  // decoding needs OpenCV: without it this file tests nothing
#include "datasets/readers/image_decode.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/error.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab::datasets {
namespace {

using testing::problem_of;

using testing::ScratchDir;
using testing::write_bytes;

// A 5 x 7 pattern with distinct R, G, B at every pixel (as R, G, B values).
uint8_t value(int y, int x, int c) {
  return static_cast<uint8_t>(y * 41 + x * 13 + c * 71 + 3);
}

// The pattern as an OpenCV BGR(A) or grey Mat of `depth`; 16-bit values are v * 257 + (x - 3) * 40, clamped.
cv::Mat pattern(int channels, int depth = CV_8U, int transparent = 0) {
  cv::Mat mat(5, 7, CV_MAKETYPE(depth, channels));
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 7; ++x)
      for (int k = 0; k < channels; ++k) {
        const int c = channels >= 3 && k < 3 ? 2 - k : k;  // BGR order: stored channel k holds RGB channel 2 - k
        const int v =
            channels == 4 && k == 3 ? (x % 2 ? transparent : 255) : value(y, x, c);  // odd columns transparent
        if (depth == CV_8U)
          mat.ptr<uint8_t>(y)[x * channels + k] = static_cast<uint8_t>(v);
        else
          mat.ptr<uint16_t>(y)[x * channels + k] = static_cast<uint16_t>(std::clamp(v * 257 + (x - 3) * 40, 0, 65535));
      }
  return mat;
}

std::vector<uint8_t> encode(const std::string& ext, const cv::Mat& mat, const std::vector<int>& params = {}) {
  std::vector<uint8_t> bytes;
  EXPECT_TRUE(cv::imencode(ext, mat, bytes, params)) << ext;
  return bytes;
}

// Expected RGB of pixel (y, x): the pattern, grey replicated; for 16-bit input round(v / 257).
uint8_t expected(int y, int x, int c, bool grey, bool sixteen) {
  const int v = value(y, x, grey ? 0 : c);
  if (!sixteen) return static_cast<uint8_t>(v);
  const double stored = std::clamp(v * 257 + (x - 3) * 40, 0, 65535);
  return static_cast<uint8_t>(std::lround(stored / 257.0));
}

void expect_pattern(const Image& image, bool grey, bool sixteen = false) {
  ASSERT_EQ(image.height, 5);
  ASSERT_EQ(image.width, 7);
  ASSERT_EQ(image.pixels.size(), 5u * 7u * 3u);
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 7; ++x)
      for (int c = 0; c < 3; ++c)
        ASSERT_EQ(image.pixels[(y * 7 + x) * 3 + c], expected(y, x, c, grey, sixteen)) << y << "," << x << "," << c;
}

TEST(ImageDecodeTest, LosslessFormatsAreExact) {
  ASSERT_TRUE(image_decode_supported());
  expect_pattern(decode_image(encode(".png", pattern(3)), "rgb.png"), false);
  expect_pattern(decode_image(encode(".png", pattern(1)), "grey.png"), true);
  expect_pattern(decode_image(encode(".bmp", pattern(3)), "rgb.bmp"), false);
  expect_pattern(decode_image(encode(".bmp", pattern(1)), "grey.bmp"), true);
  // RGBA: alpha dropped, so fully transparent pixels (odd columns) keep their colour, as PIL's convert("RGB").
  expect_pattern(decode_image(encode(".png", pattern(4)), "rgba.png"), false);
}

TEST(ImageDecodeTest, SixteenBitRoundsDividedBy257) {
  // Values k * 257 + d with d in [-120, 120] round to k; the clamp keeps 0 and 65535 ends in range.
  expect_pattern(decode_image(encode(".png", pattern(3, CV_16U)), "rgb16.png"), false, true);
  expect_pattern(decode_image(encode(".png", pattern(1, CV_16U)), "grey16.png"), true, true);
  expect_pattern(decode_image(encode(".png", pattern(4, CV_16U)), "rgba16.png"), false, true);
  // The edges of the rounding: 128 / 257 < 0.5 <= 129 / 257, and 65535 -> 255.
  cv::Mat edges(1, 4, CV_16UC1);
  const uint16_t stored[] = {128, 129, 65535, 257 * 200 + 128};
  for (int x = 0; x < 4; ++x) edges.at<uint16_t>(0, x) = stored[x];
  const Image image = decode_image(encode(".png", edges), "edges16.png");
  EXPECT_EQ(image.pixels, (std::vector<uint8_t>{0, 0, 0, 1, 1, 1, 255, 255, 255, 200, 200, 200}));
}

TEST(ImageDecodeTest, LosslessWebpIsExact) {
  if (!cv::haveImageWriter(".webp")) GTEST_SKIP() << "this OpenCV has no WebP codec";
  // Quality above 100 selects lossless WebP.
  expect_pattern(decode_image(encode(".webp", pattern(3), {cv::IMWRITE_WEBP_QUALITY, 101}), "rgb.webp"), false);
  // Lossless WebP may zero the colour under alpha 0 (libwebp's default, not "exact"): use alpha 1 there.
  expect_pattern(decode_image(encode(".webp", pattern(4, CV_8U, 1), {cv::IMWRITE_WEBP_QUALITY, 101}), "rgba.webp"),
                 false);
}

TEST(ImageDecodeTest, JpegSizeAndApproximateColour) {
  // A flat colour survives JPEG within a few levels (8 allows for chroma subsampling and rounding).
  const cv::Mat flat(16, 24, CV_8UC3, cv::Scalar(30, 120, 200));  // B, G, R
  const Image image = decode_image(encode(".jpg", flat, {cv::IMWRITE_JPEG_QUALITY, 95}), "flat.jpg");
  ASSERT_EQ(image.height, 16);
  ASSERT_EQ(image.width, 24);
  for (size_t i = 0; i < image.pixels.size(); i += 3) {
    ASSERT_NEAR(image.pixels[i], 200, 8);
    ASSERT_NEAR(image.pixels[i + 1], 120, 8);
    ASSERT_NEAR(image.pixels[i + 2], 30, 8);
  }
}

TEST(ImageDecodeTest, ReadsFilesByPath) {
  ScratchDir dir;
  ASSERT_TRUE(cv::imwrite(dir.file("a.png"), pattern(3)));
  expect_pattern(read_image(dir.file("a.png")), false);
}

// Grey + alpha PNG ("LA"), which OpenCV cannot write: PIL writes it and PIL's convert("RGB") is the oracle.
TEST(ImageDecodeTest, GreyAlphaMatchesPil) {
  ASSERT_TRUE(testing::reference_python_has("PIL")) << "Debian's python3-pil is required (tools/install-deps.sh)";
  ScratchDir dir;
  const std::string script =
      "from PIL import Image; import sys\n"
      "im = Image.new('LA', (6, 4))\n"
      "im.putdata([((x * 37 + y * 11) % 256, (x * 64) % 256) for y in range(4) for x in range(6)])\n"
      "im.save(sys.argv[1])\n"
      "sys.stdout.write(Image.open(sys.argv[1]).convert('RGB').tobytes().hex())\n";
  write_bytes(dir.file("la.py"), script);
  const auto r = testing::run_command(std::string(LATENTLAB_REFERENCE_PYTHON) + " " + dir.file("la.py") + " " +
                                      dir.file("la.png"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Image image = read_image(dir.file("la.png"));
  ASSERT_EQ(image.height, 4);
  ASSERT_EQ(image.width, 6);
  std::string hex;
  for (uint8_t v : image.pixels) hex += fmt::format("{:02x}", v);
  EXPECT_EQ(hex, r.out);
}

TEST(ImageDecodeTest, BrokenFilesNameTheFile) {
  ScratchDir dir;
  const std::vector<uint8_t> png = encode(".png", pattern(3));
  write_bytes(dir.file("truncated.png"), std::string(png.begin(), png.begin() + png.size() / 2));
  EXPECT_CONTAINS(problem_of([&] { read_image(dir.file("truncated.png")); }, dir.file("truncated.png")),
                  "cannot decode image (corrupt or truncated PNG data)");
  write_bytes(dir.file("text.jpg"), "this is not a JPEG\n");
  EXPECT_CONTAINS(problem_of([&] { read_image(dir.file("text.jpg")); }, dir.file("text.jpg")),
                  "cannot decode image (not a JPEG, PNG, WebP or BMP file)");
  write_bytes(dir.file("empty.png"), "");
  EXPECT_CONTAINS(problem_of([&] { read_image(dir.file("empty.png")); }, dir.file("empty.png")), "empty");
  EXPECT_CONTAINS(problem_of([&] { read_image(dir.file("missing.png")); }, dir.file("missing.png")), "");
  // A PNG signature alone: the format is recognised, the data are not there.
  EXPECT_CONTAINS(
      problem_of([&] { decode_image(std::vector<uint8_t>(png.begin(), png.begin() + 8), "sig.png"); }, "sig.png"),
      "truncated PNG");
}

}  // namespace
}  // namespace latentlab::datasets
#endif  // LATENTLAB_WITH_OPENCV
