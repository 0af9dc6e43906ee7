// Prefix and suffix tests on strings (C++17 has no std::string::starts_with). One definition for every
// library file, so that files sharing a unity-build translation unit do not each bring their own.
#pragma once

#include <string_view>

namespace latentlab {

inline bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

inline bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace latentlab
