#include "datasets/procedural/shapes.h"

#include <cmath>

#include <fmt/format.h>

#include "core/error.h"
#include "datasets/procedural/shape_render.h"

namespace latentlab::datasets {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<double> linspace(double first, double last, int n) {
  std::vector<double> out(n);
  for (int i = 0; i < n; ++i) out[i] = n == 1 ? first : first + (last - first) * i / (n - 1);
  return out;
}

Factor numeric_factor(const std::string& name, const std::vector<double>& values) {
  Factor f{name, {}};
  for (double v : values) f.values.push_back(fmt::format("{:g}", v));
  return f;
}

// Counter-based generator: the draw for (seed, index, stream) needs no state, so any thread renders any
// index and gets the same image.
uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

int32_t draw(uint64_t seed, uint64_t index, uint64_t stream, size_t n) {
  const uint64_t r = splitmix64(splitmix64(splitmix64(seed) ^ index) ^ (stream * 0xd1b54a32d192ed03ull));
  return static_cast<int32_t>((r >> 11) % n);
}

// Factor order of each preset; the scene mapping below relies on it.
enum ShapesFactor { kShape, kScale, kRotation, kX, kY, kHue, kBackground, kTexture };
enum DspritesFactor { kDShape, kDScale, kDOrientation, kDPosX, kDPosY };

const std::vector<double> kShapesScale = linspace(0.5, 1.0, 6);
const std::vector<double> kShapesRotation = linspace(0.0, 84.375, 16);
const std::vector<double> kShapesPosition = linspace(0.3, 0.7, 16);
const std::vector<double> kShapesHue = linspace(0.0, 315.0, 8);
const std::vector<double> kShapesBackground = {22.5, 112.5, 202.5, 292.5};
const std::vector<double> kDspritesScale = linspace(0.5, 1.0, 6);
const std::vector<double> kDspritesOrientation = linspace(0.0, 2 * kPi, 40);
const std::vector<double> kDspritesPosition = linspace(0.0, 1.0, 32);

}  // namespace

ShapesGenerator::ShapesGenerator(ShapesOptions options) : options_(std::move(options)) {
  if (options_.preset == "shapes") {
    if (options_.resolution < 32 || options_.resolution > 256)
      fail_usage("--res", "must be in [32, 256] for the shapes preset, got {}", options_.resolution);
    info_.attributes = {{"shape", {"square", "ellipse", "heart", "triangle"}},
                        numeric_factor("scale", kShapesScale),
                        numeric_factor("rotation", kShapesRotation),
                        numeric_factor("x", kShapesPosition),
                        numeric_factor("y", kShapesPosition),
                        numeric_factor("hue", kShapesHue),
                        numeric_factor("background", kShapesBackground),
                        {"texture", {"solid", "stripes", "checker"}}};
    info_.class_names = info_.attributes[kShape].values;
  } else if (options_.preset == "dsprites") {
    if (options_.resolution != 64) fail_usage("--res", "the dsprites preset is 64 x 64, got {}", options_.resolution);
    info_.attributes = {{"shape", {"square", "ellipse", "heart"}},
                        numeric_factor("scale", kDspritesScale),
                        numeric_factor("orientation", kDspritesOrientation),
                        numeric_factor("posX", kDspritesPosition),
                        numeric_factor("posY", kDspritesPosition)};
    info_.class_names = info_.attributes[kDShape].values;
  } else {
    fail_usage("--preset", "unknown preset '{}' (known: shapes, dsprites)", options_.preset);
  }
  if (options_.seed < 0) fail_usage("--seed", "must be >= 0, got {}", options_.seed);
  if (!options_.grid && options_.size <= 0) fail_usage("--n", "must be > 0, got {}", options_.size);
  info_.size = options_.grid ? grid_size() : options_.size;
  info_.spec = fmt::format("{}:seed={},n={},res={}{}", options_.preset, options_.seed, info_.size, options_.resolution,
                           options_.grid ? ",grid" : "");
  info_.description =
      fmt::format("procedural {} ({} factors{}), {} x {} RGB", options_.preset, info_.attributes.size(),
                  options_.grid ? ", full grid" : ", sampled", options_.resolution, options_.resolution);
}

int64_t ShapesGenerator::grid_size() const {
  int64_t n = 1;
  for (const auto& f : info_.attributes) n *= static_cast<int64_t>(f.values.size());
  return n;
}

std::vector<int32_t> ShapesGenerator::factors_of(int64_t index) const {
  check_index(*this, index);
  const auto& fs = info_.attributes;
  std::vector<int32_t> out(fs.size());
  if (options_.grid) {
    for (size_t k = fs.size(); k-- > 0;) {
      const auto n = static_cast<int64_t>(fs[k].values.size());
      out[k] = static_cast<int32_t>(index % n);
      index /= n;
    }
  } else {
    for (size_t k = 0; k < fs.size(); ++k)
      out[k] = draw(static_cast<uint64_t>(options_.seed), static_cast<uint64_t>(index), k, fs[k].values.size());
  }
  return out;
}

int64_t ShapesGenerator::grid_index(const std::vector<int32_t>& factors) const {
  const auto& fs = info_.attributes;
  if (factors.size() != fs.size()) fail(info_.spec, "{} factor values given, {} expected", factors.size(), fs.size());
  int64_t index = 0;
  for (size_t k = 0; k < fs.size(); ++k) {
    if (factors[k] < 0 || factors[k] >= static_cast<int32_t>(fs[k].values.size()))
      fail(info_.spec, "factor '{}' has no value {} (0..{})", fs[k].name, factors[k], fs[k].values.size() - 1);
    index = index * static_cast<int64_t>(fs[k].values.size()) + factors[k];
  }
  return index;
}

Image ShapesGenerator::render(const std::vector<int32_t>& f) const {
  grid_index(f);  // validates
  ShapeScene scene;
  scene.resolution = options_.resolution;
  if (options_.preset == "dsprites") {
    scene.shape = static_cast<ShapeKind>(f[kDShape]);
    scene.size = 0.3 * kDspritesScale[f[kDScale]];
    scene.rotation = kDspritesOrientation[f[kDOrientation]];
    scene.centre_x = 0.25 + 0.5 * kDspritesPosition[f[kDPosX]];
    scene.centre_y = 0.25 + 0.5 * kDspritesPosition[f[kDPosY]];
    scene.binary = true;
    return render_scene(scene);
  }
  scene.shape = static_cast<ShapeKind>(f[kShape]);
  scene.size = 0.42 * kShapesScale[f[kScale]];
  scene.rotation = kShapesRotation[f[kRotation]] * kPi / 180;
  scene.centre_x = kShapesPosition[f[kX]];
  scene.centre_y = kShapesPosition[f[kY]];
  scene.colour = hsv_to_rgb(kShapesHue[f[kHue]], 0.85, 0.95);
  scene.colour_alt = hsv_to_rgb(kShapesHue[f[kHue]], 0.85, 0.45);
  scene.background = hsv_to_rgb(kShapesBackground[f[kBackground]], 0.35, 0.3);
  scene.texture = static_cast<Texture>(f[kTexture]);
  return render_scene(scene);
}

Example ShapesGenerator::get(int64_t index) const {
  Example example;
  example.attributes = factors_of(index);
  example.image = render(example.attributes);
  example.label = example.attributes[0];  // the shape is the class
  example.key = fmt::format("index:{}", index);
  return example;
}

std::vector<std::vector<int32_t>> ShapesGenerator::sample_factors(int count, uint64_t seed) const {
  const auto& fs = info_.attributes;
  std::vector<std::vector<int32_t>> out(static_cast<size_t>(std::max(count, 0)), std::vector<int32_t>(fs.size()));
  for (size_t i = 0; i < out.size(); ++i)
    for (size_t k = 0; k < fs.size(); ++k) out[i][k] = draw(seed, i, k, fs[k].values.size());
  return out;
}

std::vector<std::vector<int32_t>> ShapesGenerator::sample_with_fixed_factor(int factor, int32_t value, int count,
                                                                            uint64_t seed) const {
  const auto& fs = info_.attributes;
  if (factor < 0 || factor >= static_cast<int>(fs.size()))
    fail(info_.spec, "no factor {} (0..{})", factor, fs.size() - 1);
  if (value < 0 || value >= static_cast<int32_t>(fs[factor].values.size()))
    fail(info_.spec, "factor '{}' has no value {}", fs[factor].name, value);
  auto out = sample_factors(count, seed);
  for (auto& row : out) row[factor] = value;
  return out;
}

}  // namespace latentlab::datasets
