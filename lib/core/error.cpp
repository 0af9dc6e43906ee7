#include "core/error.h"

namespace latentlab {

UserError::UserError(std::string subject, std::string problem, Kind kind)
    : std::runtime_error(subject.empty() ? problem : subject + ": " + problem),
      subject_(std::move(subject)),
      problem_(std::move(problem)),
      kind_(kind) {}

void internal_error(const char* file, int line, const char* condition, const std::string& message) {
  throw InternalError(fmt::format("internal error at {}:{}: {} ({})", file, line, message, condition));
}

uint64_t checked_mul(uint64_t a, uint64_t b, const std::string& subject) {
  uint64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) fail(subject, "size overflows 64 bits ({} x {})", a, b);
  return out;
}

uint64_t checked_add(uint64_t a, uint64_t b, const std::string& subject) {
  uint64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) fail(subject, "size overflows 64 bits ({} + {})", a, b);
  return out;
}

}  // namespace latentlab
