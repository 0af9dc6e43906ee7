// Procedural attribute dataset with ground-truth factors: coloured, textured 2-D shapes rendered with
// OpenCV, antialiased by supersampling. Every image is a pure function of (preset, resolution, seed, index),
// so it is bit-identical across runs, machines and thread counts, and needs no disk.
//
// Preset "shapes" (the embedded default for probes and disentanglement), factors and values:
//   shape       square, ellipse, heart, triangle                       coarse
//   scale       6 values, linspace(0.5, 1.0)                            of the object size (0.42 of the side)
//   rotation    16 values, 0 .. 84.375 degrees in steps of 5.625        fine; within 90 degrees so that every
//                                                                       shape's rotation stays identifiable
//   x, y        16 values each, linspace(0.3, 0.7) of the side          fine; object centre
//   hue         8 object hues, 0 .. 315 degrees                         coarse
//   background  4 background hues, 22.5 + 90k degrees, dark and pale    coarse
//   texture     solid, stripes, checker (the pattern turns with the shape)   fine
// Random mode draws each factor uniformly from a counter-based generator keyed by (seed, index); grid mode
// enumerates the full factor grid in row-major order (last factor fastest), 9,437,184 combinations.
//
// Preset "dsprites" reproduces the dSprites factor grid (Matthey et al. 2017): 64 x 64 binary images,
// shape {square, ellipse, heart}, scale linspace(0.5, 1, 6), orientation linspace(0, 2pi, 40) radians,
// posX, posY linspace(0, 1, 32) mapped to centres 0.25..0.75 of the side; factor order and the row-major
// index (posY fastest, 737,280 images) as in the original. Images are re-rendered, not the original pixels.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/image_source.h"

namespace latentlab::datasets {

struct ShapesOptions {
  std::string preset = "shapes";  // shapes | dsprites
  int resolution = 64;            // 32..256 (dsprites: 64 only)
  int64_t size = 10000;           // number of examples in random mode (ignored by the grid)
  int64_t seed = 0;
  bool grid = false;  // enumerate every factor combination instead of sampling
};

class ShapesGenerator : public ImageSource {
 public:
  // Throws UserError naming the option for a bad preset, resolution or size.
  explicit ShapesGenerator(ShapesOptions options);

  const DatasetInfo& info() const override { return info_; }
  Example get(int64_t index) const override;

  const ShapesOptions& options() const { return options_; }
  const std::vector<Factor>& factors() const { return info_.attributes; }
  int64_t grid_size() const;  // product of the factor sizes

  // The factor value indices of example `index` (grid: mixed-radix digits; random: seeded draws).
  std::vector<int32_t> factors_of(int64_t index) const;
  // Grid position of a factor vector (inverse of factors_of in grid mode).
  int64_t grid_index(const std::vector<int32_t>& factors) const;
  // Renders one image from factor value indices (validated; errors name the factor).
  Image render(const std::vector<int32_t>& factors) const;
  // `count` factor vectors drawn uniformly, with factor `factor` fixed at `value` (for β-VAE and FactorVAE
  // scores). Deterministic in `seed`.
  std::vector<std::vector<int32_t>> sample_with_fixed_factor(int factor, int32_t value, int count, uint64_t seed) const;
  std::vector<std::vector<int32_t>> sample_factors(int count, uint64_t seed) const;

 private:
  ShapesOptions options_;
  DatasetInfo info_;
};

}  // namespace latentlab::datasets
