#include "report/svg.h"

#include <fmt/format.h>

#include "report/markup.h"

namespace latentlab::report {
namespace {

std::string title_element(const std::string& tooltip) {
  return tooltip.empty() ? "" : "<title>" + xml_escape(tooltip) + "</title>";
}

}  // namespace

Svg::Svg(double width, double height) : width_(width), height_(height) {}

void Svg::rect(double x, double y, double width, double height, const std::string& fill, const std::string& tooltip) {
  body_ += fmt::format("<rect x=\"{:.2f}\" y=\"{:.2f}\" width=\"{:.2f}\" height=\"{:.2f}\" fill=\"{}\">{}</rect>\n", x,
                       y, width, height, xml_escape(fill), title_element(tooltip));
}

void Svg::line(double x1, double y1, double x2, double y2, const std::string& stroke, double stroke_width) {
  body_ +=
      fmt::format("<line x1=\"{:.2f}\" y1=\"{:.2f}\" x2=\"{:.2f}\" y2=\"{:.2f}\" stroke=\"{}\" stroke-width=\"{}\"/>\n",
                  x1, y1, x2, y2, xml_escape(stroke), stroke_width);
}

void Svg::circle(double cx, double cy, double r, const std::string& fill, const std::string& tooltip) {
  body_ += fmt::format("<circle cx=\"{:.2f}\" cy=\"{:.2f}\" r=\"{:.2f}\" fill=\"{}\">{}</circle>\n", cx, cy, r,
                       xml_escape(fill), title_element(tooltip));
}

void Svg::polyline(const std::vector<std::pair<double, double>>& points, const std::string& stroke) {
  std::string coordinates;
  for (const auto& [x, y] : points) coordinates += fmt::format("{}{:.2f},{:.2f}", coordinates.empty() ? "" : " ", x, y);
  body_ += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>\n", coordinates,
                       xml_escape(stroke));
}

void Svg::text(double x, double y, const std::string& text, double size, const std::string& anchor, double rotate) {
  const std::string transform = rotate == 0 ? "" : fmt::format(" transform=\"rotate({} {:.2f} {:.2f})\"", rotate, x, y);
  body_ += fmt::format("<text x=\"{:.2f}\" y=\"{:.2f}\" font-size=\"{}\" text-anchor=\"{}\"{}>{}</text>\n", x, y, size,
                       xml_escape(anchor), transform, xml_escape(text));
}

std::string Svg::str() const {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" "
      "font-family=\"sans-serif\">\n<rect x=\"0\" y=\"0\" width=\"{0:.0f}\" height=\"{1:.0f}\" "
      "fill=\"white\"/>\n{2}</svg>\n",
      width_, height_, body_);
}

std::string palette(size_t i) {
  static const char* colours[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                  "#CC79A7", "#56B4E9", "#F0E442", "#000000"};
  return colours[i % (sizeof colours / sizeof *colours)];
}

}  // namespace latentlab::report
