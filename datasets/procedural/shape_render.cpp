#include "datasets/procedural/shape_render.h"

#include <algorithm>
#include <cmath>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace latentlab::datasets {
namespace {

// Inside tests in object units (about one unit across, centred on the origin, v pointing down). Sampling
// analytic shapes at fine-pixel centres is unbiased: the antialiased coverage averages to the true area and
// centroid, which a scan-converted polygon (fillPoly includes its boundary pixels) does not.
bool inside(ShapeKind shape, double u, double v) {
  switch (shape) {
    case ShapeKind::Square:
      return std::abs(u) <= 0.5 && std::abs(v) <= 0.5;
    case ShapeKind::Ellipse: {  // elongated, so that its rotation shows
      const double a = u / 0.55, b = v / 0.32;
      return a * a + b * b <= 1;
    }
    case ShapeKind::Heart: {  // (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0, scaled to about one unit, point down
      // Shifted by the curve's area centroid (y = 0.29348, integrated numerically) so that, as for the other
      // shapes, the object's centre is its centroid and the x/y factors do not move with rotation.
      const double x = u * 2.3, y = -v * 2.3 + 0.29348;
      const double r = x * x + y * y - 1;
      return r * r * r - x * x * y * y * y <= 0;
    }
    case ShapeKind::Triangle: {  // equilateral, centroid at the origin, one vertex up, circumradius 0.6
      const double h = 0.3;      // inradius = circumradius / 2
      return v <= h && 0.8660254037844386 * u - 0.5 * v <= h && -0.8660254037844386 * u - 0.5 * v <= h;
    }
  }
  return false;
}

int supersampling(int resolution) {
  return std::clamp(256 / resolution, 2, 8);
}

}  // namespace

std::array<double, 3> hsv_to_rgb(double hue, double s, double v) {
  hue = std::fmod(std::fmod(hue, 360.0) + 360.0, 360.0) / 60.0;
  const int sector = static_cast<int>(hue) % 6;
  const double f = hue - std::floor(hue), p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  switch (sector) {
    case 0:
      return {v, t, p};
    case 1:
      return {q, v, p};
    case 2:
      return {p, v, t};
    case 3:
      return {p, q, v};
    case 4:
      return {t, p, v};
    default:
      return {v, p, q};
  }
}

Image render_scene(const ShapeScene& scene) {
  const int ss = supersampling(scene.resolution), side = scene.resolution * ss;
  const double extent = scene.size * side, cx = scene.centre_x * side, cy = scene.centre_y * side;
  const double c = std::cos(scene.rotation), s = std::sin(scene.rotation);

  auto to_byte = [](double v) { return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255)); };
  const cv::Vec3b background(to_byte(scene.background[0]), to_byte(scene.background[1]), to_byte(scene.background[2]));
  const cv::Vec3b colour(to_byte(scene.colour[0]), to_byte(scene.colour[1]), to_byte(scene.colour[2]));
  const cv::Vec3b alt(to_byte(scene.colour_alt[0]), to_byte(scene.colour_alt[1]), to_byte(scene.colour_alt[2]));
  cv::Mat fine(side, side, CV_8UC3, background);
  // Every shape lies within 0.75 units of its centre (the square's corners: 0.71): scan that box only.
  const int reach = static_cast<int>(std::ceil(0.75 * extent)) + 1;
  const int x0 = std::max(0, static_cast<int>(cx) - reach), x1 = std::min(side, static_cast<int>(cx) + reach);
  const int y0 = std::max(0, static_cast<int>(cy) - reach), y1 = std::min(side, static_cast<int>(cy) + reach);
  const double period = 0.2;  // texture cells in object units: they follow the object's size and rotation
  for (int y = y0; y < y1; ++y) {
    auto* out = fine.ptr<cv::Vec3b>(y);
    for (int x = x0; x < x1; ++x) {
      const double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
      const double u = (c * dx + s * dy) / extent, v = (-s * dx + c * dy) / extent;  // object coordinates
      if (!inside(scene.shape, u, v)) continue;
      bool second = false;
      if (scene.texture != Texture::Solid) {
        const auto band_u = static_cast<int64_t>(std::floor(u / period));
        const auto band_v = static_cast<int64_t>(std::floor(v / period));
        second = scene.texture == Texture::Stripes ? (band_u & 1) : ((band_u + band_v) & 1);
      }
      out[x] = second ? alt : colour;
    }
  }
  cv::Mat small;
  cv::resize(fine, small, cv::Size(scene.resolution, scene.resolution), 0, 0, cv::INTER_AREA);
  if (scene.binary) cv::threshold(small, small, 127, 255, cv::THRESH_BINARY);

  Image image;
  image.height = image.width = scene.resolution;
  image.pixels.assign(small.data, small.data + small.total() * 3);
  return image;
}

}  // namespace latentlab::datasets
