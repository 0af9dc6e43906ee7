// Drawing for the procedural shapes datasets (datasets/procedural/shapes.h): one pure function from
// geometric parameters to pixels, so that the factor bookkeeping and the drawing stay separate.
#pragma once

#include <array>

#include "datasets/image_source.h"

namespace latentlab::datasets {

enum class ShapeKind { Square, Ellipse, Heart, Triangle };
enum class Texture { Solid, Stripes, Checker };

struct ShapeScene {
  int resolution = 64;
  ShapeKind shape = ShapeKind::Square;
  double size = 0.42;     // object extent as a fraction of the side
  double rotation = 0.0;  // radians, counter-clockwise
  double centre_x = 0.5;  // fractions of the side; y grows downwards
  double centre_y = 0.5;
  std::array<double, 3> colour{1, 1, 1};      // RGB in [0, 1]
  std::array<double, 3> colour_alt{1, 1, 1};  // second colour of stripes and checker
  std::array<double, 3> background{0, 0, 0};
  Texture texture = Texture::Solid;
  bool binary = false;  // threshold the antialiased image at one half (dSprites)
};

Image render_scene(const ShapeScene& scene);

// HSV (hue in degrees, saturation and value in [0, 1]) to RGB in [0, 1].
std::array<double, 3> hsv_to_rgb(double hue_degrees, double saturation, double value);

}  // namespace latentlab::datasets
