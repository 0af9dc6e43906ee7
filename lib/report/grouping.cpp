#include "report/grouping.h"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

namespace latentlab::report {
namespace {

void flatten(const nlohmann::json& node, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& out) {
  if (node.is_object() && !node.empty()) {
    for (const auto& [key, value] : node.items()) flatten(value, prefix.empty() ? key : prefix + "." + key, out);
  } else {
    out.emplace_back(prefix, node.dump());
  }
}

}  // namespace

std::vector<ProtocolGroup> group_by_protocol(const std::vector<Entry>& entries) {
  std::vector<ProtocolGroup> groups;
  for (const auto& entry : entries) {
    if (entry.fingerprint.empty()) continue;
    auto it = std::find_if(groups.begin(), groups.end(), [&](const ProtocolGroup& g) {
      return g.kind == entry.kind && g.fingerprint == entry.fingerprint;
    });
    if (it == groups.end()) it = groups.insert(groups.end(), {entry.kind, entry.fingerprint, {}});
    it->entries.push_back(&entry);
  }
  return groups;
}

std::vector<std::pair<std::string, std::string>> flatten_protocol(const nlohmann::json& protocol) {
  nlohmann::json copy = protocol;
  if (copy.is_object()) {
    copy.erase("tool_version");
    copy.erase("git_commit");
  }
  std::vector<std::pair<std::string, std::string>> out;
  flatten(copy, "", out);
  return out;
}

std::vector<std::string> differing_protocol_keys(const std::vector<const nlohmann::json*>& protocols, size_t limit,
                                                 const std::vector<std::string>& ignore) {
  std::vector<std::map<std::string, std::string>> flat;
  std::set<std::string> keys;
  for (const auto* protocol : protocols) {
    const auto pairs = flatten_protocol(*protocol);
    flat.emplace_back(pairs.begin(), pairs.end());
    for (const auto& [key, value] : pairs) keys.insert(key);
  }
  std::vector<std::string> differing;
  for (const auto& key : keys) {
    if (std::any_of(ignore.begin(), ignore.end(),
                    [&](const std::string& i) { return key == i || key.rfind(i + ".", 0) == 0; }))
      continue;
    const auto value_of = [&](const std::map<std::string, std::string>& m) {
      const auto it = m.find(key);
      return it == m.end() ? std::string("<absent>") : it->second;
    };
    for (const auto& m : flat)
      if (value_of(m) != value_of(flat.front())) {
        differing.push_back(key);
        break;
      }
    if (differing.size() >= limit) break;
  }
  return differing;
}

}  // namespace latentlab::report
