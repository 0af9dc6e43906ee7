// Logging to stderr with fmt. stdout is kept for the short human summary of a command; results go to files.
#pragma once

#include <string>

#include <fmt/format.h>

namespace latentlab::log {

enum class Level { Quiet = 0, Warn = 1, Info = 2, Debug = 3 };

void set_level(Level level);
Level level();
void write(Level level, const std::string& line);

template <typename... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  if (level() >= Level::Warn) write(Level::Warn, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  if (level() >= Level::Info) write(Level::Info, fmt::format(format, std::forward<Args>(args)...));
}
template <typename... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
  if (level() >= Level::Debug) write(Level::Debug, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace latentlab::log
