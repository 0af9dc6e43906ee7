#include "report/leaderboard.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/mapped_file.h"
#include "io/results_json.h"
#include "report/grouping.h"
#include "report/ranking.h"

namespace latentlab::report {
namespace {

using nlohmann::json;

// An exclusive flock on PATH.lock for the read-check-write of one add.
class BoardLock {
 public:
  explicit BoardLock(const std::string& board) {
    const auto lock = board + ".lock";
    fd_ = ::open(lock.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (fd_ < 0) fail(lock, "cannot be opened: {}", std::strerror(errno));
    while (::flock(fd_, LOCK_EX) != 0)
      if (errno != EINTR) fail(lock, "cannot be locked: {}", std::strerror(errno));
  }
  ~BoardLock() { ::close(fd_); }  // closing releases the lock
  BoardLock(const BoardLock&) = delete;
  BoardLock& operator=(const BoardLock&) = delete;

 private:
  int fd_ = -1;
};

json entry_json(const Entry& e) {
  return {{"label", e.label},     {"path", e.path},
          {"sha256", e.sha256},   {"input_hashes", e.input_hashes},
          {"created", e.created}, {"added", io::utc_now_iso8601()},
          {"metrics", e.metrics}};
}

Entry entry_from_json(const json& j, const Board& board) {
  Entry e;
  e.label = j.value("label", "");
  e.path = j.value("path", "");
  e.sha256 = j.value("sha256", "");
  e.created = j.value("created", "");
  e.input_hashes = j.value("input_hashes", std::vector<std::string>{});
  e.metrics = j.value("metrics", std::map<std::string, double>{});
  e.kind = board.kind;
  e.command = board.command;
  e.fingerprint = board.fingerprint;
  e.protocol = board.protocol;
  return e;
}

bool same_inputs(const Entry& a, const Entry& b) {
  if (a.input_hashes.empty() || b.input_hashes.empty()) return a.sha256 == b.sha256;
  return a.input_hashes == b.input_hashes;
}

json board_json(const Board& board) {
  json entries = json::array();
  for (const auto& e : board.entries) entries.push_back(entry_json(e));
  return {{"schema", kBoardSchema},           {"kind", board.kind},
          {"command", board.command},         {io::kKeyProtocolFingerprint, board.fingerprint},
          {io::kKeyProtocol, board.protocol}, {"entries", std::move(entries)}};
}

// Best first, as the board's table shows them.
std::vector<const Entry*> ranked(const Board& board) {
  std::vector<const Entry*> entries;
  for (const auto& e : board.entries) entries.push_back(&e);
  const auto columns = columns_present(kind_named(board.kind), entries);
  return columns.empty() ? entries : rank_entries(entries, columns.front());
}

}  // namespace

Board read_board(const std::string& path) {
  const auto bytes = io::read_file(path);
  const auto doc = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (doc.is_discarded()) fail(path, "not valid JSON");
  if (!doc.is_object() || doc.value("schema", "") != kBoardSchema)
    fail(path, "not a latentlab leaderboard (schema '{}' expected)", kBoardSchema);
  if (!doc.contains("entries") || !doc["entries"].is_array()) fail(path, "has no entries list");
  Board board;
  board.path = path;
  board.kind = doc.value("kind", "");
  board.command = doc.value("command", "");
  board.fingerprint = doc.value(io::kKeyProtocolFingerprint, "");
  board.protocol = doc.value(io::kKeyProtocol, json::object());
  for (const auto& j : doc["entries"]) {
    if (!j.is_object()) fail(path, "an entry is not a JSON object");
    board.entries.push_back(entry_from_json(j, board));
  }
  return board;
}

BoardAdd board_add(const std::string& board_path, const std::string& result_spec) {
  auto entry = load_entry(result_spec);
  if (entry.fingerprint.empty()) fail(entry.path, "a training log cannot go on a leaderboard (results files only)");
  const BoardLock lock(board_path);
  BoardAdd outcome;
  Board board;
  if (std::filesystem::exists(board_path)) {
    board = read_board(board_path);
  } else {
    board = {board_path, entry.kind, entry.command, entry.fingerprint, entry.protocol, {}};
    outcome.created = true;
  }
  if (entry.kind != board.kind)
    fail(entry.path, "is a '{}' result; the board {} ranks '{}' results", entry.kind, board_path, board.kind);
  if (entry.fingerprint != board.fingerprint) {
    std::string keys;
    for (const auto& key :
         differing_protocol_keys({&board.protocol, &entry.protocol}, 5, kind_named(board.kind).subject_keys))
      keys += (keys.empty() ? "" : ", ") + key;
    fail(entry.path, "protocol differs from the board {}'s (fingerprint {} vs {}; differs in: {})", board_path,
         entry.fingerprint.substr(0, 12), board.fingerprint.substr(0, 12), keys.empty() ? "?" : keys);
  }
  for (const auto& existing : board.entries)
    if (same_inputs(existing, entry))
      fail(entry.path, "already on the board {} as '{}' ({}): same inputs and protocol", board_path, existing.label,
           existing.path);
  board.entries.push_back(entry);
  io::write_file_atomic(board_path, board_json(board).dump(2) + "\n");
  const auto order = ranked(board);
  outcome.rank = std::find(order.begin(), order.end(), &board.entries.back()) - order.begin() + 1;
  outcome.label = entry.label;
  outcome.count = board.entries.size();
  return outcome;
}

Table board_table(const Board& board) {
  ProtocolGroup group{board.kind, board.fingerprint, {}};
  for (const auto& e : board.entries) group.entries.push_back(&e);
  return leaderboard_table(group,
                           fmt::format("{} leaderboard — protocol {}", board.kind, board.fingerprint.substr(0, 12)));
}

nlohmann::json board_ranking_json(const Board& board) {
  json rows = json::array();
  const auto order = ranked(board);
  for (size_t i = 0; i < order.size(); ++i)
    rows.push_back(
        {{"rank", i + 1}, {"label", order[i]->label}, {"path", order[i]->path}, {"metrics", order[i]->metrics}});
  return {{"kind", board.kind}, {io::kKeyProtocolFingerprint, board.fingerprint}, {"ranked", std::move(rows)}};
}

}  // namespace latentlab::report
