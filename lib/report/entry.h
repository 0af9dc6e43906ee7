// One results file as a report sees it: what was measured (its label), under which protocol, and its
// numbers under shared metric keys ("fid", "rfid", "attr_macro_f1", ...; result_kinds.h names them), so
// that tables can put results of several commands side by side. The kind adapters fill it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace latentlab::report {

// One named target inside a result (a probe's attribute or factor) with its scores.
struct TargetScores {
  std::string group;                      // "attributes" or "factors"
  std::string name;                       // "Smiling"
  std::map<std::string, double> metrics;  // "f1" -> 0.83
};

// A training curve from a JSONL log: y against x (the log's step).
struct Curve {
  std::string name;
  std::vector<double> x, y;
};

struct Entry {
  std::string path;         // the file
  std::string label;        // the row name: NAME from NAME=PATH, else the kind's default
  std::string kind;         // the adapter: "fid", "recon", "probe", ..., "train-log", "generic"
  std::string command;      // the results file's "command"
  std::string fingerprint;  // the ranking fingerprint (result_kinds.h); empty for logs (never ranked)
  std::string sha256;       // of the file itself
  std::string created;
  nlohmann::json protocol;                // the protocol block (null for logs)
  std::vector<std::string> input_hashes;  // sorted SHA-256 of the inputs: what was measured
  std::map<std::string, double> metrics;  // headline numbers by shared key
  std::vector<TargetScores> targets;      // per attribute / factor
  std::vector<std::string> images;        // PNG/JPEG grids the result points to, as readable paths
  std::vector<Curve> curves;              // training logs
  std::string curve_x;                    // the x name of the curves ("step")
};

// "NAME=PATH" names the row; a bare PATH (a file that exists, even with '=' in it) takes the kind's
// default label. A results JSON (schema latentlab-results/1) or a .jsonl training log. Errors name the file.
Entry load_entry(const std::string& spec);
std::vector<Entry> load_entries(const std::vector<std::string>& specs);

// The metric's value, or NaN when the entry lacks it.
double metric_or_nan(const Entry& entry, const std::string& key);

// "runs/send-vae.safetensors" -> "send-vae"; "images:out/samples/" -> "samples".
std::string path_stem(std::string path);

}  // namespace latentlab::report
