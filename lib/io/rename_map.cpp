#include "io/rename_map.h"

#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "io/mapped_file.h"

namespace latentlab::io {

RenameMap RenameMap::parse(const std::string& text, const std::string& subject) {
  RenameMap map;
  std::istringstream in(text);
  std::string line;
  std::set<std::string> seen;
  for (int number = 1; std::getline(in, line); ++number) {
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream fields(line);
    RenameRule rule;
    std::string extra;
    if (!(fields >> rule.from)) continue;  // blank or comment
    if (!(fields >> rule.to) || (fields >> extra))
      fail(subject, "line {}: expected 'FROM TO' (TO '-' drops), got '{}'", number, line);
    if (rule.to != "-" && rule.is_prefix() != (rule.to.back() == '.'))
      fail(subject, "line {}: a prefix rule needs a prefix on both sides ('{}' -> '{}')", number, rule.from, rule.to);
    if (!seen.insert(rule.from).second) fail(subject, "line {}: '{}' appears twice", number, rule.from);
    map.rules.push_back(rule);
  }
  return map;
}

RenameMap RenameMap::read(const std::string& path) {
  const auto bytes = read_file(path);
  return parse(std::string(bytes.begin(), bytes.end()), path);
}

static const RenameRule* best_rule(const std::vector<RenameRule>& rules, const std::string& name) {
  const RenameRule* best = nullptr;
  for (const auto& rule : rules) {
    if (!rule.is_prefix()) {
      if (rule.from == name) return &rule;
    } else if (name.compare(0, rule.from.size(), rule.from) == 0 && (!best || rule.from.size() > best->from.size())) {
      best = &rule;
    }
  }
  return best;
}

std::string RenameMap::apply(const std::string& name) const {
  const RenameRule* rule = best_rule(rules, name);
  if (!rule) return name;
  if (rule->to == "-") return "";
  return rule->is_prefix() ? rule->to + name.substr(rule->from.size()) : rule->to;
}

NamedArrays rename_arrays(const NamedArrays& arrays, const RenameMap& map, std::vector<std::string>* unused,
                          const std::string& subject) {
  NamedArrays out;
  std::map<std::string, std::string> origin;
  std::set<const RenameRule*> used;
  for (const auto& [name, array] : arrays) {
    if (const auto* rule = best_rule(map.rules, name)) used.insert(rule);
    const std::string renamed = map.apply(name);
    if (renamed.empty()) continue;
    if (auto [it, fresh] = origin.emplace(renamed, name); !fresh)
      fail(subject, "tensors '{}' and '{}' are both renamed to '{}'", it->second, name, renamed);
    out.emplace_back(renamed, array);
  }
  if (unused)
    for (const auto& rule : map.rules)
      if (!used.count(&rule)) unused->push_back(rule.from);
  return out;
}

NamedArrays select_prefix(const NamedArrays& arrays, const std::string& prefix, const std::string& subject) {
  if (prefix.empty()) return arrays;
  NamedArrays out;
  for (const auto& [name, array] : arrays)
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0)
      out.emplace_back(name.substr(prefix.size()), array);
  if (out.empty()) {
    std::string some;
    for (size_t i = 0; i < arrays.size() && i < 3; ++i) some += (i ? ", " : "") + arrays[i].first;
    fail(subject, "no tensor name starts with '{}' (names look like: {})", prefix, some.empty() ? "none" : some);
  }
  return out;
}

}  // namespace latentlab::io
