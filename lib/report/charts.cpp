#include "report/charts.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "report/svg.h"

namespace latentlab::report {
namespace {

constexpr double kWidth = 680, kHeight = 340, kLeft = 64, kRight = 150, kTop = 44, kBottom = 80;

// A value axis: [lo, hi] widened to multiples of a 1-2-5 step, about five ticks.
struct Axis {
  double lo, hi, step;

  Axis(double min, double max) {
    if (!(min < max)) min -= 0.5, max += 0.5;  // one value, or none
    const double raw = (max - min) / 5, power = std::pow(10.0, std::floor(std::log10(raw)));
    step = power * (raw / power <= 1 ? 1 : raw / power <= 2 ? 2 : raw / power <= 5 ? 5 : 10);
    lo = std::floor(min / step) * step;
    hi = std::ceil(max / step) * step;
  }
  double to(double value, double a, double b) const { return a + (value - lo) / (hi - lo) * (b - a); }
  std::string label(double value) const {
    const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step))));
    return fmt::format("{:.{}f}", std::abs(value) < step / 1e6 ? 0.0 : value, decimals);
  }
};

std::pair<double, double> finite_range(const std::vector<double>& values) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const double v : values)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!std::isfinite(lo)) return {0, 1};
  return {lo, hi};
}

double plot_right() {
  return kWidth - kRight;
}
double plot_bottom() {
  return kHeight - kBottom;
}

void frame(Svg& svg, const std::string& title, const Axis& y, const std::string& y_title) {
  svg.text(kWidth / 2, 20, title, 14, "middle");
  for (double v = y.lo; v <= y.hi + y.step / 2; v += y.step) {
    const double py = y.to(v, plot_bottom(), kTop);
    svg.line(kLeft, py, plot_right(), py, "#dddddd");
    svg.text(kLeft - 6, py + 4, y.label(v), 10, "end");
  }
  svg.line(kLeft, kTop, kLeft, plot_bottom(), "#333333");
  svg.line(kLeft, plot_bottom(), plot_right(), plot_bottom(), "#333333");
  svg.text(16, (kTop + plot_bottom()) / 2, y_title, 11, "middle", -90);
}

void legend(Svg& svg, const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    const double y = kTop + 16.0 * static_cast<double>(i);
    svg.rect(plot_right() + 12, y, 10, 10, palette(i));
    svg.text(plot_right() + 28, y + 9, names[i], 11);
  }
}

void x_ticks(Svg& svg, const Axis& x, const std::string& x_title) {
  for (double v = x.lo; v <= x.hi + x.step / 2; v += x.step) {
    const double px = x.to(v, kLeft, plot_right());
    svg.line(px, plot_bottom(), px, plot_bottom() + 4, "#333333");
    svg.text(px, plot_bottom() + 16, x.label(v), 10, "middle");
  }
  svg.text((kLeft + plot_right()) / 2, plot_bottom() + 40, x_title, 11, "middle");
}

}  // namespace

std::string bar_chart(const std::string& title, const std::vector<std::string>& categories,
                      const std::vector<BarSeries>& series, const std::string& y_title) {
  std::vector<double> all{0.0};  // bars start at zero
  for (const auto& s : series) all.insert(all.end(), s.values.begin(), s.values.end());
  const auto [lo, hi] = finite_range(all);
  const Axis y(lo, hi);
  Svg svg(kWidth, kHeight);
  frame(svg, title, y, y_title);
  const double slot = (plot_right() - kLeft) / std::max<size_t>(1, categories.size());
  const double bar = slot * 0.8 / std::max<size_t>(1, series.size());
  for (size_t c = 0; c < categories.size(); ++c) {
    const double x0 = kLeft + slot * static_cast<double>(c) + slot * 0.1;
    for (size_t s = 0; s < series.size(); ++s) {
      const double v = c < series[s].values.size() ? series[s].values[c] : std::nan("");
      if (!std::isfinite(v)) continue;
      const double top = y.to(std::max(v, 0.0), plot_bottom(), kTop),
                   base = y.to(std::min(v, 0.0), plot_bottom(), kTop);
      svg.rect(x0 + bar * static_cast<double>(s), top, bar * 0.95, std::max(0.5, base - top), palette(s),
               fmt::format("{} / {}: {:.4f}", series[s].name, categories[c], v));
    }
    const double label_x = x0 + slot * 0.4;
    svg.text(label_x, plot_bottom() + 12, categories[c], 10, "end", -40);
  }
  std::vector<std::string> names;
  for (const auto& s : series) names.push_back(s.name);
  legend(svg, names);
  return svg.str();
}

std::string scatter_chart(const std::string& title, const std::string& subtitle, const std::string& x_title,
                          const std::string& y_title, const std::vector<ScatterPoint>& points) {
  std::vector<double> xs, ys;
  for (const auto& p : points) xs.push_back(p.x), ys.push_back(p.y);
  const auto [x_lo, x_hi] = finite_range(xs);
  const auto [y_lo, y_hi] = finite_range(ys);
  const Axis x(x_lo, x_hi), y(y_lo, y_hi);
  Svg svg(kWidth, kHeight);
  frame(svg, title, y, y_title);
  svg.text(kWidth / 2, 36, subtitle, 11, "middle");
  x_ticks(svg, x, x_title);
  for (size_t i = 0; i < points.size(); ++i) {
    if (!std::isfinite(points[i].x) || !std::isfinite(points[i].y)) continue;
    const double px = x.to(points[i].x, kLeft, plot_right()), py = y.to(points[i].y, plot_bottom(), kTop);
    svg.circle(px, py, 5, palette(i), fmt::format("{}: ({:.4f}, {:.4f})", points[i].label, points[i].x, points[i].y));
    svg.text(px + 8, py - 6, points[i].label, 10);
  }
  return svg.str();
}

std::string line_chart(const std::string& title, const std::string& x_title, const std::string& y_title,
                       const std::vector<Curve>& curves) {
  std::vector<double> xs, ys;
  for (const auto& c : curves) {
    xs.insert(xs.end(), c.x.begin(), c.x.end());
    ys.insert(ys.end(), c.y.begin(), c.y.end());
  }
  const auto [x_lo, x_hi] = finite_range(xs);
  const auto [y_lo, y_hi] = finite_range(ys);
  const Axis x(x_lo, x_hi), y(y_lo, y_hi);
  Svg svg(kWidth, kHeight);
  frame(svg, title, y, y_title);
  x_ticks(svg, x, x_title);
  std::vector<std::string> names;
  for (size_t i = 0; i < curves.size(); ++i) {
    std::vector<std::pair<double, double>> points;
    for (size_t k = 0; k < curves[i].x.size() && k < curves[i].y.size(); ++k)
      if (std::isfinite(curves[i].x[k]) && std::isfinite(curves[i].y[k]))
        points.emplace_back(x.to(curves[i].x[k], kLeft, plot_right()), y.to(curves[i].y[k], plot_bottom(), kTop));
    svg.polyline(points, palette(i));
    names.push_back(curves[i].name);
  }
  legend(svg, names);
  return svg.str();
}

}  // namespace latentlab::report
