// Helpers shared by tests: scratch directories, running the real binary and the reference python.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace latentlab::testing {

// A fresh directory under $TMPDIR, removed when the object dies.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::vector<std::string> list() const;  // names of the entries, sorted

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `command` through /bin/sh, capturing stdout and stderr.
CommandResult run_command(const std::string& command);
// Runs Debian's python3 on a script in tests/reference/ with arguments.
CommandResult run_reference_python(const std::string& script, const std::string& arguments);
// True when the reference python can import every listed module.
bool reference_python_has(const std::string& modules);

std::string read_text(const std::string& path);
void write_bytes(const std::string& path, const std::string& bytes);
bool file_exists(const std::string& path);
// The bytes of `s`, for byte-level readers and writers.
inline std::vector<uint8_t> bytes_of(const std::string& s) {
  return {s.begin(), s.end()};
}

}  // namespace latentlab::testing
