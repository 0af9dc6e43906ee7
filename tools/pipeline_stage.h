// One stage of `latentlab pipeline`: one invocation of another latentlab command, with the files it reads and
// writes. A stage owns one folder (`dir`); its manifest (the arguments plus the SHA-256 of every input file)
// decides whether it is up to date, and a stage whose outputs exist under a matching manifest is skipped.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace latentlab::tools {

struct Stage {
  std::string name;                  // "train-vae-plain-s0": unique, also the folder name and log name
  std::vector<std::string> args;     // the command and its arguments, without the program ("cache", "--vae", ...)
  std::vector<std::string> inputs;   // files whose contents the stage depends on (configs, upstream outputs)
  std::vector<std::string> outputs;  // files that exist when the stage has finished
  std::string dir;                   // the folder the stage writes into (removed before a run of a changed stage)
  std::string
      unavailable;  // non-empty: why the stage does not run ("not available in this build (…)", "not run (--skip)")
};

// The manifest of a stage as it stands now: {"args": [...], "inputs": {path: sha256}}. Missing inputs hash to
// "missing" (a stage whose inputs are missing runs, and fails with its command's own message).
nlohmann::json stage_manifest(const Stage& stage);

enum class StageState {
  UpToDate,     // outputs exist and the recorded manifest matches: skip
  Interrupted,  // a run with this very manifest started and did not finish: rerun in place (commands resume)
  Changed,      // never run, or run with other arguments or inputs: clear the folder, then run
};

// Where the pipeline keeps a stage's manifests: `state_dir`/NAME.json (finished) and NAME.started.json.
StageState stage_state(const Stage& stage, const nlohmann::json& manifest, const std::string& state_dir);
void mark_started(const Stage& stage, const nlohmann::json& manifest, const std::string& state_dir);
void mark_finished(const Stage& stage, const nlohmann::json& manifest, const std::string& state_dir);

struct ChildResult {
  int exit_code = 0;       // 128 + signal when killed
  double cpu_seconds = 0;  // user + system CPU time of the child
};

// Runs `program args...` as a child process with stdout and stderr appended to `log_path` (or inherited when
// `log_path` is empty) and waits for it.
ChildResult run_child(const std::string& program, const std::vector<std::string>& args, const std::string& log_path);

// The last `lines` lines of a text file ("" if unreadable), for a failing stage's message.
std::string tail_lines(const std::string& path, int lines);

}  // namespace latentlab::tools
