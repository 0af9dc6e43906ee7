// Results files: every command that computes a number writes one JSON document of this shape
// (snake_case keys, named constants below):
//   {
//     "schema": "latentlab-results/1",
//     "command": "metrics fid",            "created": "2026-11-26T09:00:00Z",
//     "tool": {"tool_version", "git_commit", "libtorch", "device", "threads"},
//     "protocol": {...},                   // everything that changes a number, incl. tool version + commit
//     "protocol_fingerprint": "<sha256>",  // of the canonical protocol JSON without tool version/commit
//     "options": {...},                    // every resolved option, defaults included
//     "inputs": [{"role", "path", "sha256", "protocol"}],
//     "results": {...}
//   }
// Leaderboards rank two results in one column only when their fingerprints are equal. The tool version
// and commit stay out of the fingerprint so that results from two builds remain comparable; they are
// still recorded in the protocol block.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace latentlab::io {

inline constexpr const char* kResultsSchema = "latentlab-results/1";
inline constexpr const char* kKeyProtocol = "protocol";
inline constexpr const char* kKeyProtocolFingerprint = "protocol_fingerprint";
inline constexpr const char* kKeyInputs = "inputs";
inline constexpr const char* kKeyResults = "results";
inline constexpr const char* kKeyOptions = "options";

struct InputRecord {
  std::string role;  // "weights", "reference", "samples", …
  std::string path;
  std::string sha256;
  nlohmann::json protocol;  // the input's own protocol block, or null
};

// Hashes the file; when it is itself a results JSON, its protocol block is carried forward.
InputRecord describe_input(const std::string& role, const std::string& path);

struct ResultsContext {
  std::string command;
  std::string device = "cpu";
  int threads = 1;
  nlohmann::json options = nlohmann::json::object();
};

// The current time as ISO 8601 UTC to the second ("2026-11-26T09:00:00Z"): the "created" field above, and
// the creation time of latent stores.
std::string utc_now_iso8601();

nlohmann::json make_results(const ResultsContext& context, nlohmann::json protocol,
                            const std::vector<InputRecord>& inputs, nlohmann::json results);

// SHA-256 of the canonical (sorted-key, compact) protocol JSON, tool_version and git_commit removed.
std::string protocol_fingerprint(const nlohmann::json& protocol);

// Writes `document` atomically, pretty-printed.
void write_results(const std::string& path, const nlohmann::json& document);
// Reads a results file, checking the schema; errors name the file.
nlohmann::json read_results(const std::string& path);

}  // namespace latentlab::io
