// The procedural shapes datasets against closed forms: object coverage gives the centre (x, y factors),
// the area (scale factor, extent^2 for a square), the colour (hue factor); determinism across runs and
// threads; the dSprites grid order.
#include "datasets/procedural/shapes.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "core/error.h"
#include "datasets/procedural/shape_render.h"

namespace latentlab::datasets {
namespace {

enum { kShape, kScale, kRotation, kX, kY, kHue, kBackground, kTexture };

ShapesGenerator grid_generator(int resolution = 64) {
  ShapesOptions o;
  o.resolution = resolution;
  o.grid = true;
  return ShapesGenerator(o);
}

// Per-pixel object coverage in [0, 1] from the channel where object and background differ most.
std::vector<double> coverage(const Image& image, const std::array<double, 3>& object, const std::array<double, 3>& bg) {
  int channel = 0;
  for (int c = 1; c < 3; ++c)
    if (std::abs(object[c] - bg[c]) > std::abs(object[channel] - bg[channel])) channel = c;
  const double o = std::lround(object[channel] * 255), b = std::lround(bg[channel] * 255);
  std::vector<double> alpha(static_cast<size_t>(image.height) * image.width);
  for (size_t i = 0; i < alpha.size(); ++i) alpha[i] = (image.pixels[3 * i + channel] - b) / (o - b);
  return alpha;
}

struct Moments {
  double area = 0, cx = 0, cy = 0;
};

Moments moments(const std::vector<double>& alpha, int side) {
  Moments m;
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) {
      const double a = alpha[static_cast<size_t>(y) * side + x];
      m.area += a, m.cx += a * (x + 0.5), m.cy += a * (y + 0.5);
    }
  m.cx /= m.area, m.cy /= m.area;
  return m;
}

std::vector<int32_t> base() {
  return {0, 5, 0, 7, 7, 2, 1, 0};
}  // a large solid square, centred

TEST(Shapes, CentreFollowsThePositionFactors) {
  const auto gen = grid_generator();
  const auto bg = hsv_to_rgb(112.5, 0.35, 0.3), colour = hsv_to_rgb(90, 0.85, 0.95);
  for (int xi : {0, 5, 15})
    for (int yi : {0, 9, 15}) {
      auto f = base();
      f[kScale] = 0, f[kX] = xi, f[kY] = yi;
      const auto m = moments(coverage(gen.render(f), colour, bg), 64);
      // Expected centre: linspace(0.3, 0.7, 16) of the side; the square is centrally symmetric. Each
      // axis-aligned edge snaps to the supersampled grid (4 x at 64 px), moving the centre by at most half
      // a fine pixel: 0.125 output pixels.
      EXPECT_NEAR(m.cx, (0.3 + 0.4 * xi / 15) * 64, 0.125) << xi;
      EXPECT_NEAR(m.cy, (0.3 + 0.4 * yi / 15) * 64, 0.125) << yi;
    }
}

TEST(Shapes, SquareAreaIsExtentSquared) {
  const auto gen = grid_generator(64);
  const auto bg = hsv_to_rgb(112.5, 0.35, 0.3), colour = hsv_to_rgb(90, 0.85, 0.95);
  const double fine = 0.25;  // 64 px are rendered 4 x supersampled
  for (int si = 0; si < 6; ++si) {
    auto f = base();
    f[kScale] = si;
    const double side = 0.42 * (0.5 + 0.1 * si) * 64;
    // Sampling at fine-pixel centres counts each side to within one fine pixel: |area - side^2| is at most
    // (side + fine)^2 - side^2.
    EXPECT_NEAR(moments(coverage(gen.render(f), colour, bg), 64).area, side * side, 2 * side * fine + fine * fine)
        << si;
  }
}

TEST(Shapes, ObjectColourIsTheHueFactor) {
  const auto gen = grid_generator();
  for (int hi = 0; hi < 8; ++hi) {
    auto f = base();
    f[kHue] = hi;
    const auto image = gen.render(f);
    const auto expected = hsv_to_rgb(45.0 * hi, 0.85, 0.95);
    const size_t centre = (static_cast<size_t>(32) * 64 + 32) * 3;  // inside the square
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(image.pixels[centre + c], expected[c] * 255, 0.5) << hi << " " << c;
  }
}

TEST(Shapes, EveryFactorValueChangesTheImage) {
  const auto gen = grid_generator();
  auto f = base();
  f[kShape] = 2;  // the heart has no rotational symmetry
  f[kTexture] = 1;
  const auto reference = gen.render(f).pixels;
  for (size_t k = 0; k < f.size(); ++k)
    for (int32_t v = 0; v < static_cast<int32_t>(gen.factors()[k].values.size()); ++v) {
      if (v == f[k]) continue;
      auto g = f;
      g[k] = v;
      EXPECT_NE(gen.render(g).pixels, reference) << gen.factors()[k].name << " = " << v;
    }
}

TEST(Shapes, GridIndexRoundTripsAndCountsEveryCombination) {
  const auto gen = grid_generator();
  EXPECT_EQ(gen.size(), 4 * 6 * 16 * 16 * 16 * 8 * 4 * 3);
  for (int64_t i : {int64_t{0}, int64_t{1}, int64_t{12345}, gen.size() - 1})
    EXPECT_EQ(gen.grid_index(gen.factors_of(i)), i);
  EXPECT_EQ(gen.factors_of(1).back(), 1);  // the last factor varies fastest
  EXPECT_THROW(gen.factors_of(gen.size()), UserError);
  EXPECT_THROW(gen.render({0, 0, 0}), UserError);
  EXPECT_THROW(gen.render({4, 0, 0, 0, 0, 0, 0, 0}), UserError);
}

TEST(Shapes, SameSeedAndIndexGiveTheSameImageOnAnyThread) {
  ShapesOptions o;
  o.size = 64;
  o.seed = 7;
  const ShapesGenerator a(o), b(o);
  std::vector<std::vector<uint8_t>> sequential(64), threaded(64);
  for (int i = 0; i < 64; ++i) sequential[i] = a.get(i).image.pixels;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = t; i < 64; i += 4) threaded[i] = b.get(i).image.pixels;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(sequential, threaded);
  o.seed = 8;
  EXPECT_NE(ShapesGenerator(o).get(0).attributes, a.get(0).attributes);
}

TEST(Shapes, RandomFactorsCoverEveryValue) {
  ShapesOptions o;
  o.size = 2000;
  const ShapesGenerator gen(o);
  std::vector<std::vector<int>> counts(gen.factors().size());
  for (size_t k = 0; k < counts.size(); ++k) counts[k].assign(gen.factors()[k].values.size(), 0);
  for (int64_t i = 0; i < gen.size(); ++i) {
    const auto f = gen.factors_of(i);
    for (size_t k = 0; k < f.size(); ++k) counts[k][f[k]]++;
  }
  for (size_t k = 0; k < counts.size(); ++k)
    for (size_t v = 0; v < counts[k].size(); ++v) {
      const double expected = 2000.0 / counts[k].size();
      EXPECT_NEAR(counts[k][v], expected, 5 * std::sqrt(expected)) << gen.factors()[k].name << " " << v;  // 5 sigma
    }
}

TEST(Shapes, FixedFactorSamplesHoldTheFactor) {
  ShapesOptions o;
  const ShapesGenerator gen(o);
  const auto rows = gen.sample_with_fixed_factor(kRotation, 3, 100, 11);
  ASSERT_EQ(rows.size(), 100u);
  int hue_changes = 0;
  for (const auto& r : rows) {
    EXPECT_EQ(r[kRotation], 3);
    hue_changes += r[kHue] != rows[0][kHue];
  }
  EXPECT_GT(hue_changes, 50);
  EXPECT_EQ(rows, gen.sample_with_fixed_factor(kRotation, 3, 100, 11));
  EXPECT_THROW(gen.sample_with_fixed_factor(8, 0, 1, 0), UserError);
}

TEST(Dsprites, GridOrderSizeAndBinaryPixels) {
  ShapesOptions o;
  o.preset = "dsprites";
  o.grid = true;
  const ShapesGenerator gen(o);
  EXPECT_EQ(gen.size(), 737280);
  EXPECT_EQ(gen.factors_of(1), (std::vector<int32_t>{0, 0, 0, 0, 1}));   // posY fastest
  EXPECT_EQ(gen.factors_of(32), (std::vector<int32_t>{0, 0, 0, 1, 0}));  // then posX
  EXPECT_EQ(gen.factors()[2].values.back(), "6.28319");                  // orientation up to 2 pi
  const auto image = gen.get(123456).image;
  int white = 0;
  for (size_t i = 0; i < image.pixels.size(); i += 3) {
    EXPECT_TRUE(image.pixels[i] == 0 || image.pixels[i] == 255);
    EXPECT_EQ(image.pixels[i], image.pixels[i + 1]);
    white += image.pixels[i] == 255;
  }
  EXPECT_GT(white, 20);
}

TEST(Shapes, BadOptionsNameTheOption) {
  auto expect_usage = [](ShapesOptions o, const std::string& subject) {
    try {
      ShapesGenerator gen(o);
      FAIL() << subject;
    } catch (const UserError& e) {
      EXPECT_EQ(e.subject(), subject);
    }
  };
  ShapesOptions o;
  o.resolution = 16;
  expect_usage(o, "--res");
  o = {};
  o.preset = "blobs";
  expect_usage(o, "--preset");
  o = {};
  o.size = 0;
  expect_usage(o, "--n");
  o = {};
  o.preset = "dsprites";
  o.resolution = 128;
  expect_usage(o, "--res");
}

}  // namespace
}  // namespace latentlab::datasets

namespace latentlab::datasets {
namespace {

// Identifiability: for random base factor vectors, moving any one factor to its next value changes the
// image, at the smallest and the default resolution, so every factor value is recoverable from the pixels
// in principle (a perfect 1-nearest-neighbour classifier exists on noiseless renders).
TEST(Shapes, OneStepOfAnyFactorChangesTheImageAtEveryResolution) {
  for (int resolution : {32, 64}) {
    ShapesOptions o;
    o.resolution = resolution;
    o.grid = true;
    const ShapesGenerator gen(o);
    int unchanged = 0, compared = 0;
    for (const auto& base : gen.sample_factors(60, 5)) {
      const auto reference = gen.render(base).pixels;
      for (size_t k = 0; k < base.size(); ++k) {
        auto moved = base;
        moved[k] = (moved[k] + 1) % static_cast<int32_t>(gen.factors()[k].values.size());
        if (gen.render(moved).pixels == reference) {
          ++unchanged;
          ADD_FAILURE() << "res " << resolution << ": " << gen.factors()[k].name << " " << base[k] << " -> " << moved[k]
                        << " leaves the image unchanged";
        }
        ++compared;
      }
    }
    EXPECT_EQ(unchanged, 0) << "of " << compared;
  }
}

}  // namespace
}  // namespace latentlab::datasets
