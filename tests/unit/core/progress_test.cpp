#include "core/progress.h"

#include <gtest/gtest.h>

#include "core/log.h"

namespace latentlab {
namespace {

TEST(Progress, FormatsRatesAndDurations) {
  EXPECT_EQ(ProgressBar::format_rate(12.34, "img"), "12.3 img/s");
  EXPECT_EQ(ProgressBar::format_rate(1234.4, "img"), "1234 img/s");
  EXPECT_EQ(ProgressBar::format_rate(0.25, "step"), "4.0 s/step");
  EXPECT_EQ(ProgressBar::format_duration(62), "1:02");
  EXPECT_EQ(ProgressBar::format_duration(3723), "1:02:03");
  EXPECT_EQ(ProgressBar::format_duration(-1), "?");
}

TEST(Progress, RenderShowsFractionRateAndEta) {
  log::set_level(log::Level::Quiet);  // nothing drawn to stderr by advance()
  ProgressBar bar("encode", 200, "img");
  bar.advance(50);
  const std::string line = bar.render(10.0, 100);  // 50 in 10 s: 5 img/s, 150 left -> 30 s
  EXPECT_NE(line.find(" 25% 50/200"), std::string::npos) << line;
  EXPECT_NE(line.find("5.0 img/s"), std::string::npos) << line;
  EXPECT_NE(line.find("0:10<0:30"), std::string::npos) << line;
  EXPECT_LE(line.size(), 100u);
  bar.finish();
  log::set_level(log::Level::Info);
}

TEST(Progress, UnknownTotalShowsCount) {
  log::set_level(log::Level::Quiet);
  ProgressBar bar("scan", 0);
  bar.advance(7);
  EXPECT_NE(bar.render(2.0, 100).find("scan 7 it"), std::string::npos);
  log::set_level(log::Level::Info);
}

}  // namespace
}  // namespace latentlab
