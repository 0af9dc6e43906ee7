#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace latentlab::log {
namespace {
std::atomic<Level> g_level{Level::Info};
std::mutex g_mutex;  // one line at a time from several threads
}  // namespace

void set_level(Level level) {
  g_level = level;
}
Level level() {
  return g_level;
}

void write(Level level, const std::string& line) {
  const char* tag = level == Level::Warn ? "warning: " : level == Level::Debug ? "debug: " : "";
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fprintf(stderr, "%s%s\n", tag, line.c_str());
  std::fflush(stderr);
}

}  // namespace latentlab::log
