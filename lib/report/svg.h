// A small SVG writer: the few elements the report's plots need, text escaped, numbers in fixed
// notation. The output is a standalone XML document that can also be inlined in HTML5.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace latentlab::report {

class Svg {
 public:
  Svg(double width, double height);

  void rect(double x, double y, double width, double height, const std::string& fill, const std::string& tooltip = "");
  void line(double x1, double y1, double x2, double y2, const std::string& stroke, double stroke_width = 1);
  void circle(double cx, double cy, double r, const std::string& fill, const std::string& tooltip = "");
  void polyline(const std::vector<std::pair<double, double>>& points, const std::string& stroke);
  // anchor: start, middle, end; rotate: degrees about (x, y).
  void text(double x, double y, const std::string& text, double size = 11, const std::string& anchor = "start",
            double rotate = 0);

  double width() const { return width_; }
  double height() const { return height_; }
  std::string str() const;  // <svg xmlns=...>...</svg>

 private:
  double width_, height_;
  std::string body_;
};

// Colour i of a fixed palette (colour-blind safe, Okabe-Ito), cycling.
std::string palette(size_t i);

}  // namespace latentlab::report
