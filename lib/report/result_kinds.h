// Result kinds: one small adapter per command that writes results, in one explicit list (DESIGN.md
// registries). An adapter maps its command's JSON onto shared metric keys, names the row a result
// describes, and lists the leaderboard columns; the first column present ranks. A command without an
// adapter falls back to `generic` (every number at the top two levels of "results"), so new commands
// show up in reports before anyone writes theirs. Adding a kind = one function + one line here.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "report/entry.h"

namespace latentlab::report {

struct Column {
  std::string key;    // shared metric key, e.g. "fid"
  std::string title;  // "gFID"
  bool lower_is_better = false;
  int decimals = 4;
};

struct ResultKind {
  const char* name;             // "recon"
  const char* command;          // the "command" field it reads ("" for non-results files)
  std::vector<Column> columns;  // empty: every metric of the entries, by key
  // Protocol keys (dotted paths) that name *what* was measured rather than how: the generated set's path in
  // a fid protocol, the VAE's hash in a recon protocol. They stay out of the ranking fingerprint, so one
  // protocol can rank many models; every other key must match.
  std::vector<std::string> subject_keys;
  void (*extract)(const nlohmann::json& doc, Entry& entry);  // fills metrics, targets, images
  std::string (*label)(const nlohmann::json& doc);           // default row label
};

const std::vector<ResultKind>& result_kinds();
// The adapter of a results file's command (results commands may carry a verb: "metrics fid"); generic when none.
const ResultKind& kind_for_command(const std::string& command);
const ResultKind& kind_named(const std::string& name);

// The title and direction of a shared metric key wherever it appears (paper tables, plots).
Column column_for(const std::string& key);

// SHA-256 of the protocol without the kind's subject keys (and, as io::protocol_fingerprint, without the
// tool version and commit): equal ranking fingerprints = comparable numbers.
std::string ranking_fingerprint(const ResultKind& kind, const nlohmann::json& protocol);

// The columns a table of these entries shows: the kind's columns that some entry has, else every key.
std::vector<Column> columns_present(const ResultKind& kind, const std::vector<const Entry*>& entries);

}  // namespace latentlab::report
