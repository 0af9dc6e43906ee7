// The names of a model family's presets, in table order, for `preset_names()` and "known: ..." errors.
#pragma once

#include <string>
#include <vector>

namespace latentlab::models {

template <class Preset, class NameOf>
std::vector<std::string> preset_names_of(const std::vector<Preset>& presets, NameOf name_of) {
  std::vector<std::string> names;
  names.reserve(presets.size());
  for (const auto& preset : presets) names.push_back(name_of(preset));
  return names;
}

}  // namespace latentlab::models
