// Tensor renaming for `weights convert` (e.g. LDM/diffusers key mapping), read from a text file:
//
//   # comment
//   first_stage_model.   vae.        <- a FROM ending in '.' renames every name with that prefix
//   model.diffusion_model.out.2.weight  final.weight   <- otherwise FROM is one exact name
//   loss.   -                         <- TO '-' drops the matching tensors
//
// For each tensor the exact rule wins, else the longest matching prefix rule; names no rule matches are
// kept. Two tensors renamed to one name are an error naming both.
#pragma once

#include <string>
#include <vector>

#include "io/array.h"

namespace latentlab::io {

struct RenameRule {
  std::string from;
  std::string to;  // "-" drops
  bool is_prefix() const { return !from.empty() && from.back() == '.'; }
};

struct RenameMap {
  std::vector<RenameRule> rules;

  // Parses the file format above; errors name `subject` and the line.
  static RenameMap parse(const std::string& text, const std::string& subject);
  static RenameMap read(const std::string& path);

  // The new name, or "" when the tensor is dropped.
  std::string apply(const std::string& name) const;
};

// Applies `map`; `unused` receives the FROM of every rule that matched nothing (likely a typo).
NamedArrays rename_arrays(const NamedArrays& arrays, const RenameMap& map, std::vector<std::string>* unused,
                          const std::string& subject);

// Keeps the names that start with `prefix` and strips it ("" keeps everything). Errors name `subject`
// when nothing matches, listing the first few names.
NamedArrays select_prefix(const NamedArrays& arrays, const std::string& prefix, const std::string& subject);

}  // namespace latentlab::io
