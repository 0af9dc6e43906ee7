#include "core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "core/log.h"

namespace latentlab {

ProgressBar::ProgressBar(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      enabled_(log::level() >= log::Level::Info),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(Clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  if (!finished_ && done_ > 0) finish();
}

void ProgressBar::advance(int64_t n) {
  done_ += n;
  if (!enabled_) return;
  const auto now = Clock::now();
  if (tty_) {
    if (now - last_draw_ >= std::chrono::milliseconds(100)) draw(false);
    return;
  }
  const int decile = total_ > 0 ? static_cast<int>(10 * std::min(done_, total_) / total_) : -1;
  if (decile > last_decile_ || now - last_draw_ >= std::chrono::seconds(30)) {
    last_decile_ = std::max(decile, last_decile_);
    draw(false);
  }
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  // A log (not a terminal) may already hold the final count: do not repeat that line.
  if (enabled_ && (tty_ || drawn_done_ != done_)) draw(true);
}

std::string ProgressBar::format_rate(double per_second, const std::string& unit) {
  if (!std::isfinite(per_second) || per_second <= 0) return fmt::format("- {}/s", unit);
  if (per_second >= 1) return fmt::format("{:.{}f} {}/s", per_second, per_second < 100 ? 1 : 0, unit);
  return fmt::format("{:.1f} s/{}", 1.0 / per_second, unit);
}

std::string ProgressBar::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string ProgressBar::render(double elapsed, int width) const {
  const double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  if (total_ <= 0) {
    return fmt::format("{} {} {} [{}, {}]", label_, done_, unit_, format_duration(elapsed), format_rate(rate, unit_));
  }
  const double fraction = std::clamp(static_cast<double>(done_) / total_, 0.0, 1.0);
  const double eta = rate > 0 ? (total_ - done_) / rate : NAN;
  const std::string tail = fmt::format(" {:3.0f}% {}/{} [{}<{}, {}]", 100 * fraction, done_, total_,
                                       format_duration(elapsed), format_duration(eta), format_rate(rate, unit_));
  const int bar = std::max(0, std::min(30, width - static_cast<int>(label_.size() + tail.size()) - 3));
  if (bar < 5) return label_ + tail;
  const int filled = static_cast<int>(std::floor(fraction * bar));
  return fmt::format("{} |{}{}|{}", label_, std::string(filled, '#'), std::string(bar - filled, '.'), tail);
}

void ProgressBar::draw(bool final_line) {
  const auto now = Clock::now();
  last_draw_ = now;
  drawn_done_ = done_;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const std::string line = render(elapsed, 100);
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final_line ? "\n" : "");
    std::fflush(stderr);
  } else {
    log::write(log::Level::Info, line);
  }
}

}  // namespace latentlab
