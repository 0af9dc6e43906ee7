// Resize and crop transforms: known answers on tiny images, and pixel-exact agreement (max abs diff 0) with
// Pillow through tests/reference/adm_crop_reference.py (guided-diffusion center_crop_arr, torchvision
// Resize + CenterCrop, and bare Image.resize). Exactness is achievable because resize_pil repeats Pillow's
// float64 tap arithmetic and 22-bit integer passes; any difference is therefore a bug, and the tolerance is 0.
// Missing python3-pil or python3-numpy fails the test (a skipped cross-check is not a pass).
#include "datasets/transforms/resize_crop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <sstream>

#include "core/error.h"
#include "support/test_support.h"

namespace latentlab::datasets {
namespace {

using testing::ScratchDir;

enum class Pattern { Noise, Gradient };

Image make_image(int height, int width, Pattern pattern, uint32_t seed) {
  Image image{height, width, std::vector<uint8_t>(static_cast<size_t>(height) * width * 3)};
  std::mt19937 rng(seed);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c) {
        uint8_t& v = image.pixels[(static_cast<size_t>(y) * width + x) * 3 + c];
        if (pattern == Pattern::Noise) {
          v = static_cast<uint8_t>(rng() & 0xff);
        } else {  // smooth ramps in different directions per channel
          const double u = width > 1 ? static_cast<double>(x) / (width - 1) : 0.5;
          const double t = height > 1 ? static_cast<double>(y) / (height - 1) : 0.5;
          const double value = c == 0 ? u : c == 1 ? t : 0.5 * (u + 1.0 - t);
          v = static_cast<uint8_t>(std::lround(255.0 * value));
        }
      }
  return image;
}

Image constant_image(int height, int width, uint8_t value) {
  return {height, width, std::vector<uint8_t>(static_cast<size_t>(height) * width * 3, value)};
}

// One cross-check: MODE and arguments as adm_crop_reference.py reads them.
struct Case {
  std::string mode;  // adm, tv-FILTER, resize-FILTER
  int a = 0;         // crop size, or width for resize-*
  int b = 0;         // height for resize-*
  int height = 0;
  int width = 0;
  Pattern pattern = Pattern::Noise;
};

std::string describe(const Case& c) {
  std::ostringstream out;
  out << c.mode << " " << c.a << (c.mode.rfind("resize-", 0) == 0 ? "x" + std::to_string(c.b) : "") << " from "
      << c.height << "x" << c.width << (c.pattern == Pattern::Noise ? " noise" : " gradient");
  return out.str();
}

Filter filter_of(const std::string& mode) {
  const std::string name = mode.substr(mode.find('-') + 1);
  return parse_filter(name, "mode");
}

Image ours(const Case& c, const Image& input) {
  if (c.mode == "adm") return adm_center_crop(input, c.a);
  if (c.mode.rfind("tv-", 0) == 0) return resize_center_crop(input, c.a, filter_of(c.mode));
  return resize_pil(input, c.a, c.b, filter_of(c.mode));
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs every case through Pillow in one python process and compares; prints the max abs diff per case.
void expect_matches_pillow(const std::vector<Case>& cases) {
  ASSERT_TRUE(testing::reference_python_has("numpy, PIL.Image"))
      << "Debian's python3 needs python3-pil and python3-numpy for this cross-check (apt install python3-pil "
         "python3-numpy); a skipped reference check is not a pass";
  ScratchDir dir;
  std::ostringstream manifest;
  std::vector<Image> inputs;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    inputs.push_back(make_image(c.height, c.width, c.pattern, static_cast<uint32_t>(1000 + i)));
    const std::string in = dir.file("in" + std::to_string(i) + ".raw");
    testing::write_bytes(in, std::string(inputs.back().pixels.begin(), inputs.back().pixels.end()));
    manifest << c.mode << " " << c.a << " " << c.b << " " << c.height << " " << c.width << " " << in << " "
             << dir.file("out" + std::to_string(i) + ".raw") << "\n";
  }
  testing::write_bytes(dir.file("manifest.txt"), manifest.str());
  const auto result = testing::run_reference_python("adm_crop_reference.py", "'" + dir.file("manifest.txt") + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (size_t i = 0; i < cases.size(); ++i) {
    const Image mine = ours(cases[i], inputs[i]);
    const std::string theirs = read_all(dir.file("out" + std::to_string(i) + ".raw"));
    ASSERT_EQ(theirs.size(), mine.pixels.size()) << describe(cases[i]);
    int max_diff = 0;
    size_t differing = 0;
    for (size_t j = 0; j < theirs.size(); ++j) {
      const int d = std::abs(static_cast<int>(static_cast<uint8_t>(theirs[j])) - mine.pixels[j]);
      max_diff = std::max(max_diff, d);
      differing += d != 0;
    }
    std::cout << "  " << describe(cases[i]) << " -> " << mine.height << "x" << mine.width << ": max abs diff "
              << max_diff << "\n";
    EXPECT_EQ(max_diff, 0) << describe(cases[i]) << ": " << differing << " of " << theirs.size() << " values differ";
  }
}

// Each geometry with a noise image (overshoot and clipping) and a smooth gradient.
std::vector<Case> both_patterns(std::vector<Case> cases) {
  std::vector<Case> out;
  for (Case c : cases) {
    c.pattern = Pattern::Noise;
    out.push_back(c);
    c.pattern = Pattern::Gradient;
    out.push_back(c);
  }
  return out;
}

TEST(ResizeCropTest, AdmCenterCropMatchesPillowCenterCropArr) {
  expect_matches_pillow(both_patterns({
      {"adm", 32, 0, 37, 53},     // 0 halvings, bicubic downscale, odd sides, landscape
      {"adm", 32, 0, 53, 37},     // portrait
      {"adm", 32, 0, 32, 45},     // short side already the target: crop only
      {"adm", 5, 0, 6, 9},        // 9 * 5/6 = 7.5: Python's round goes to even
      {"adm", 32, 0, 70, 101},    // 1 halving (odd width), then bicubic 35 -> 32
      {"adm", 16, 0, 67, 45},     // 1 halving, both sides odd
      {"adm", 32, 0, 203, 150},   // 2 halvings (odd height), then bicubic
      {"adm", 24, 0, 131, 97},    // 2 halvings, the second lands exactly on the target
      {"adm", 64, 0, 375, 500},   // an ImageNet-like 4:3 photo to 64: 2 halvings
      {"adm", 256, 0, 375, 500},  // ImageNet-like to 256: no halving, antialiased bicubic
      {"adm", 128, 0, 600, 803},  // 2 halvings then bicubic
      {"adm", 32, 0, 20, 27},     // smaller than the target: bicubic upscale
      {"adm", 4, 0, 1, 1},        // tiny: 1x1 upscaled
      {"adm", 2, 0, 2, 3},        // tiny
      {"adm", 1, 0, 3, 1},        // tiny, 1 wide
      {"adm", 1, 0, 5, 4},        // tiny, 2 halvings (5x4 -> 2x2 -> 1x1)
      {"adm", 3, 0, 7, 19},       // tiny, 1 halving of odd sides (7x19 -> 3x9)
  }));
}

TEST(ResizeCropTest, ResizeCenterCropMatchesPillowTorchvision) {
  std::vector<Case> cases;
  for (const std::string filter : {"bicubic", "bilinear", "box"}) {
    for (const Case& c : std::vector<Case>{
             {"tv-", 32, 0, 37, 53},    // downscale, landscape
             {"tv-", 32, 0, 90, 41},    // downscale, portrait
             {"tv-", 16, 0, 16, 19},    // no resize; left offset round(1.5) = 2, not ADM's 1
             {"tv-", 16, 0, 21, 16},    // no resize; top offset round(2.5) = 2
             {"tv-", 48, 0, 20, 27},    // upscale
             {"tv-", 3, 0, 1, 2},       // tiny
             {"tv-", 64, 0, 375, 500},  // large factor
         }) {
      Case named = c;
      named.mode += filter;
      cases.push_back(named);
    }
  }
  expect_matches_pillow(both_patterns(cases));
}

TEST(ResizeCropTest, ResizePilMatchesPillowResize) {
  std::vector<Case> cases;
  for (const std::string filter : {"bicubic", "bilinear", "box"}) {
    for (const Case& c : std::vector<Case>{
             {"resize-", 13, 17, 17, 29},  // width only
             {"resize-", 29, 8, 17, 29},   // height only
             {"resize-", 50, 7, 17, 29},   // up and down
             {"resize-", 2, 3, 5, 7},      // odd halvings (BOX: 2- and 3-pixel groups)
             {"resize-", 1, 1, 9, 9},      // everything to one pixel
             {"resize-", 7, 9, 1, 1},      // one pixel to many
         }) {
      Case named = c;
      named.mode += filter;
      cases.push_back(named);
    }
  }
  expect_matches_pillow(both_patterns(cases));
}

TEST(ResizeCropTest, EvenBoxHalvingRoundsRowsThenColumns) {
  // Pillow averages rows first and stores uint8 (half up), then columns: {1, 0; 0, 0} -> 1, not round(0.25).
  Image image = constant_image(2, 2, 0);
  image.pixels[0] = 1;
  const Image out = resize_pil(image, 1, 1, Filter::Area);
  ASSERT_EQ(out.pixels.size(), 3u);
  EXPECT_EQ(out.pixels[0], 1);
  EXPECT_EQ(out.pixels[1], 0);
}

TEST(ResizeCropTest, ConstantImagesStayConstant) {
  for (const uint8_t value : {0, 1, 128, 254, 255}) {
    const Image image = constant_image(45, 71, value);
    for (const Filter f : {Filter::Bicubic, Filter::Bilinear, Filter::Area}) {
      for (const Image& out : {resize_pil(image, 20, 90, f), resize_center_crop(image, 30, f)})
        for (const uint8_t v : out.pixels) ASSERT_EQ(v, value) << filter_name(f);
    }
    for (const uint8_t v : adm_center_crop(image, 11).pixels) ASSERT_EQ(v, value);
  }
}

TEST(ResizeCropTest, CenterCropUsesFloorOffsets) {
  const Image image = make_image(6, 9, Pattern::Noise, 7);
  const Image out = center_crop(image, 3);
  ASSERT_EQ(out.height, 3);
  ASSERT_EQ(out.width, 3);
  // top (6-3)//2 = 1, left (9-3)//2 = 3
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 3; ++x)
      for (int c = 0; c < 3; ++c)
        EXPECT_EQ(out.pixels[(y * 3 + x) * 3 + c], image.pixels[((y + 1) * 9 + x + 3) * 3 + c]);
  EXPECT_EQ(adm_center_crop(make_image(32, 32, Pattern::Noise, 3), 32).pixels,
            make_image(32, 32, Pattern::Noise, 3).pixels);
}

template <typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST(ResizeCropTest, RefusesBadInputsWithAMessage) {
  const Image good = make_image(4, 5, Pattern::Gradient, 1);
  EXPECT_NE(message_of([&] { adm_center_crop(good, 0); }).find("crop size: size 0 is out of range"), std::string::npos);
  EXPECT_NE(message_of([&] { center_crop(good, 5); }).find("smaller than the crop size 5"), std::string::npos);
  EXPECT_NE(message_of([&] { resize_center_crop(Image{}, 4, Filter::Bicubic); }).find("image is empty"),
            std::string::npos);
  Image short_buffer = good;
  short_buffer.pixels.pop_back();
  EXPECT_NE(message_of([&] { resize_pil(short_buffer, 2, 2, Filter::Area); }).find("holds 59 bytes; expected 60"),
            std::string::npos);
  EXPECT_NE(message_of([&] {
              parse_filter("lanczos", "--resize-filter");
            }).find("--resize-filter: unknown filter 'lanczos' (known: bicubic, bilinear, area)"),
            std::string::npos);
}

TEST(ResizeCropTest, ProtocolNames) {
  EXPECT_EQ(adm_center_crop_protocol_name(), "adm-center-crop");
  EXPECT_EQ(center_crop_protocol_name(), "center-crop");
  EXPECT_EQ(resize_center_crop_protocol_name(Filter::Bicubic), "resize-pil-bicubic-center-crop");
  EXPECT_EQ(resize_center_crop_protocol_name(Filter::Bilinear), "resize-pil-bilinear-center-crop");
  EXPECT_EQ(resize_center_crop_protocol_name(Filter::Area), "resize-pil-box-center-crop");
  for (const Filter f : {Filter::Bicubic, Filter::Bilinear, Filter::Area})
    EXPECT_EQ(parse_filter(filter_name(f), "x"), f);
  EXPECT_EQ(parse_filter("box", "x"), Filter::Area);
}

}  // namespace
}  // namespace latentlab::datasets
