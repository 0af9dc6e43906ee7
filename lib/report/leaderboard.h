// Leaderboard files: one JSON document that several people append results to, one kind and one protocol
// per board (the first result fixes both):
//   {"schema": "latentlab-leaderboard/1", "kind": "recon", "command": "recon",
//    "protocol_fingerprint": "<sha256>", "protocol": {...},
//    "entries": [{"label", "path", "sha256", "input_hashes": [...], "created", "added", "metrics": {...}}]}
// An add holds an exclusive lock on FILE.lock while it reads, checks and rewrites the board (atomically:
// temporary file + rename), so concurrent adds never lose an entry. It refuses, with one line naming the
// result: training logs, another kind, another protocol fingerprint (listing the keys that differ), and
// duplicates (same input hashes under the same protocol).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/entry.h"
#include "report/table.h"

namespace latentlab::report {

inline constexpr const char* kBoardSchema = "latentlab-leaderboard/1";

struct Board {
  std::string path;
  std::string kind, command, fingerprint;
  nlohmann::json protocol;
  std::vector<Entry> entries;  // in the order added
};

struct BoardAdd {
  std::string label;
  size_t rank = 0;   // 1-based, after the add
  size_t count = 0;  // entries on the board
  bool created = false;
};

// `result_spec` as for reports: PATH or NAME=PATH. Creates the board when it does not exist.
BoardAdd board_add(const std::string& board_path, const std::string& result_spec);

Board read_board(const std::string& path);

// The ranked table (report/ranking.h), and the same ranking as JSON.
Table board_table(const Board& board);
nlohmann::json board_ranking_json(const Board& board);

}  // namespace latentlab::report
