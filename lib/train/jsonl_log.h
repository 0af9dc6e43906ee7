// The training log: one JSON object per line (every loss term, learning rates, step/s), flushed after each
// record so that a crash loses nothing written before it. A resumed run first drops the records of steps
// after its checkpoint (it is about to redo them), so the log reads like one uninterrupted run.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace latentlab::train {

class JsonlLog {
 public:
  // Appends to `path` (created if missing). With keep_through_step >= 0, records whose "step" exceeds it are
  // removed first (atomically). UserError naming `path` when it cannot be written.
  explicit JsonlLog(std::string path, int64_t keep_through_step = -1);

  void write(const nlohmann::json& record);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace latentlab::train
