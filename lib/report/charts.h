// The report's plots as SVG documents (svg.h): grouped bars, a labelled scatter, line curves. Each takes
// plain numbers; NaN values are left out of the drawing. Sizes are fixed so pages line plots up.
#pragma once

#include <string>
#include <vector>

#include "report/entry.h"

namespace latentlab::report {

struct BarSeries {
  std::string name;            // legend entry (a model)
  std::vector<double> values;  // one per category
};

// One group of bars per category (an attribute), one bar per series (a model).
std::string bar_chart(const std::string& title, const std::vector<std::string>& categories,
                      const std::vector<BarSeries>& series, const std::string& y_title);

struct ScatterPoint {
  std::string label;
  double x, y;
};

// Points with their labels; `subtitle` is printed under the title (e.g. the correlations).
std::string scatter_chart(const std::string& title, const std::string& subtitle, const std::string& x_title,
                          const std::string& y_title, const std::vector<ScatterPoint>& points);

// One polyline per curve, in palette order, with a legend of curve names.
std::string line_chart(const std::string& title, const std::string& x_title, const std::string& y_title,
                       const std::vector<Curve>& curves);

}  // namespace latentlab::report
