// The SVG plots are well-formed XML: Python's xml.etree (an independent parser) reads them back, and
// the elements it finds match what was drawn (bars, points, curves, escaped labels).
#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "report/charts.h"
#include "support/test_support.h"

namespace latentlab::report {
namespace {

// Parses each SVG with xml.etree and returns, per file, its root tag, element counts, texts, titles and
// the heights of the bars (rects with a <title>).
nlohmann::json parse_back(const testing::ScratchDir& dir, const std::vector<std::string>& svgs) {
  testing::write_bytes(dir.file("parse.py"), R"(import sys, json, xml.etree.ElementTree as ET
ns = '{http://www.w3.org/2000/svg}'
out = []
for path in sys.argv[1:]:
    root = ET.parse(path).getroot()
    bars = [r for r in root.iter(ns + 'rect') if r.find(ns + 'title') is not None]
    out.append({'root': root.tag, 'rect': len(list(root.iter(ns + 'rect'))),
                'circle': len(list(root.iter(ns + 'circle'))),
                'polyline_points': [len(p.get('points').split()) for p in root.iter(ns + 'polyline')],
                'texts': [t.text for t in root.iter(ns + 'text')],
                'titles': [t.text for t in root.iter(ns + 'title')],
                'bar_heights': [float(r.get('height')) for r in bars]})
print(json.dumps(out))
)");
  std::string args;
  for (size_t i = 0; i < svgs.size(); ++i) {
    const auto path = dir.file("plot" + std::to_string(i) + ".svg");
    testing::write_bytes(path, svgs[i]);
    args += " " + path;
  }
  const auto r = testing::run_command(std::string(LATENTLAB_REFERENCE_PYTHON) + " " + dir.file("parse.py") + args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

bool contains(const nlohmann::json& list, const std::string& text) {
  for (const auto& item : list)
    if (item.is_string() && item.get<std::string>() == text) return true;
  return false;
}

TEST(Svg, ChartsParseBackWithWhatWasDrawn) {
  testing::ScratchDir dir;
  const auto bars = bar_chart("F1 <per> attribute", {"<a&b>", "Smiling", "Bald"},
                              {{"plain", {0.5, 1.0, std::nan("")}}, {"send-vae", {0.25, 0.75, 0.6}}}, "F1");
  const auto scatter = scatter_chart("F1 vs gFID", "Pearson r = -0.9", "F1", "gFID",
                                     {{"plain", 0.6, 30}, {"va-vae", 0.7, 20}, {"send-vae", 0.8, 10}});
  const auto lines =
      line_chart("loss", "step", "loss", {{"plain", {0, 1, 2, 3}, {1, 0.5, 0.4, 0.3}}, {"send", {0, 2}, {2, 1}}});
  const auto parsed = parse_back(dir, {bars, scatter, lines});
  ASSERT_EQ(parsed.size(), 3u);
  for (const auto& p : parsed) EXPECT_EQ(p["root"], "{http://www.w3.org/2000/svg}svg");

  const auto& b = parsed[0];
  EXPECT_EQ(b["rect"], 1 + 5 + 2);             // background, five finite bars (one NaN left out), two legend swatches
  EXPECT_TRUE(contains(b["texts"], "<a&b>"));  // escaped on write, the same text on read
  EXPECT_TRUE(contains(b["texts"], "F1 <per> attribute"));
  EXPECT_TRUE(contains(b["titles"], "plain / <a&b>: 0.5000"));
  // Bars start at zero: value 1.0 (plain, Smiling) is twice as tall as 0.5 (plain, <a&b>).
  const auto heights = b["bar_heights"].get<std::vector<double>>();
  ASSERT_EQ(heights.size(), 5u);
  EXPECT_NEAR(heights[2] / heights[0], 2.0, 1e-3);  // order: category-major, series-minor

  const auto& s = parsed[1];
  EXPECT_EQ(s["circle"], 3);
  EXPECT_TRUE(contains(s["texts"], "Pearson r = -0.9"));
  EXPECT_TRUE(contains(s["texts"], "va-vae"));

  const auto& l = parsed[2];
  EXPECT_EQ(l["polyline_points"], nlohmann::json::array({4, 2}));
  EXPECT_TRUE(contains(l["texts"], "send"));
}

}  // namespace
}  // namespace latentlab::report
