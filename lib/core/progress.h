// A progress bar on stderr with rate and ETA. On a terminal it redraws one line (at most 10 times a
// second); when stderr is a file or pipe it prints a plain line every 10% (or every 30 s), so CI logs
// stay readable; with log level Quiet it prints nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace latentlab {

class ProgressBar {
 public:
  // total <= 0 means unknown: the bar shows the count and rate only.
  ProgressBar(std::string label, int64_t total, std::string unit = "it");
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void advance(int64_t n = 1);
  void finish();  // prints the final line once; called by the destructor if needed

  int64_t done() const { return done_; }

  // Formatting, public for tests: "12.3 it/s", "1:02:03".
  static std::string format_rate(double per_second, const std::string& unit);
  static std::string format_duration(double seconds);
  std::string render(double elapsed_seconds, int width) const;

 private:
  using Clock = std::chrono::steady_clock;
  void draw(bool final_line);

  std::string label_;
  int64_t total_;
  std::string unit_;
  int64_t done_ = 0;
  bool enabled_;
  bool tty_;
  bool finished_ = false;
  Clock::time_point start_;
  Clock::time_point last_draw_;
  int last_decile_ = -1;
  int64_t drawn_done_ = -1;  // the count shown by the last line drawn
};

}  // namespace latentlab
