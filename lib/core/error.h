// Two error channels (DESIGN.md "Errors"):
//  - UserError: a mistake in what the user gave (a file, an option, a key). It names the subject and the
//    problem; main() prints it once as `latentlab <cmd>: error: <subject>: <problem>` and exits 2 (usage)
//    or 1 (data). Anything derived from user input reports through this channel.
//  - LATENTLAB_ASSERT: a broken internal invariant; reports file:line. Never reachable from input.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace latentlab {

class UserError : public std::runtime_error {
 public:
  enum class Kind { Data = 1, Usage = 2 };

  UserError(std::string subject, std::string problem, Kind kind = Kind::Data);

  const std::string& subject() const { return subject_; }
  const std::string& problem() const { return problem_; }
  Kind kind() const { return kind_; }
  int exit_code() const { return static_cast<int>(kind_); }

 private:
  std::string subject_;
  std::string problem_;
  Kind kind_;
};

// A data error: `subject` is the file (or file + location), the message says what is wrong.
template <typename... Args>
[[noreturn]] void fail(const std::string& subject, fmt::format_string<Args...> format, Args&&... args) {
  throw UserError(subject, fmt::format(format, std::forward<Args>(args)...), UserError::Kind::Data);
}

// A usage error: `subject` is the option or argument.
template <typename... Args>
[[noreturn]] void fail_usage(const std::string& subject, fmt::format_string<Args...> format, Args&&... args) {
  throw UserError(subject, fmt::format(format, std::forward<Args>(args)...), UserError::Kind::Usage);
}

class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] void internal_error(const char* file, int line, const char* condition, const std::string& message);

// Sizes read from files go through these: they throw a UserError naming `subject` on overflow.
uint64_t checked_mul(uint64_t a, uint64_t b, const std::string& subject);
uint64_t checked_add(uint64_t a, uint64_t b, const std::string& subject);

}  // namespace latentlab

#define LATENTLAB_ASSERT(condition, ...)                                                                     \
  do {                                                                                                       \
    if (!(condition)) ::latentlab::internal_error(__FILE__, __LINE__, #condition, fmt::format(__VA_ARGS__)); \
  } while (0)
