// Results are ranked together only when they were measured under one protocol: same kind and same
// protocol_fingerprint (io/results_json.h; the fingerprint leaves tool version and commit out).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "report/entry.h"

namespace latentlab::report {

struct ProtocolGroup {
  std::string kind;
  std::string fingerprint;
  std::vector<const Entry*> entries;  // in the order given
};

// Groups in first-seen order; logs (no fingerprint) belong to no group.
std::vector<ProtocolGroup> group_by_protocol(const std::vector<Entry>& entries);

// The protocol as "a.b.c" -> compact JSON value, tool_version and git_commit left out (as the fingerprint).
std::vector<std::pair<std::string, std::string>> flatten_protocol(const nlohmann::json& protocol);

// Flattened keys whose values differ between the protocols (or that some lack), sorted, at most `limit`;
// keys equal to or under one of `ignore` (a kind's subject keys) are left out.
std::vector<std::string> differing_protocol_keys(const std::vector<const nlohmann::json*>& protocols, size_t limit,
                                                 const std::vector<std::string>& ignore = {});

}  // namespace latentlab::report
