// The non-empty items of a separated list ("a,b,,c" -> a, b, c): the option lists of `latentlab analyze`
// (measures, transforms, K values, gFIDs) and its "+"-joined results files. Torch-free.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "core/error.h"

namespace latentlab::metrics {

inline std::vector<std::string> split_items(const std::string& text, char separator = ',') {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(separator, start), text.size());
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The items as numbers; a usage error naming `subject` for one that is not a number.
inline std::vector<double> split_numbers(const std::string& text, const std::string& subject) {
  std::vector<double> out;
  for (const auto& item : split_items(text)) {
    size_t used = 0;
    double value = 0;
    try {
      value = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size()) fail_usage(subject, "'{}' is not a number", item);
    out.push_back(value);
  }
  return out;
}

}  // namespace latentlab::metrics
