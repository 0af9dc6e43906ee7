#include "pipeline_stage.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/sha256.h"

namespace latentlab::tools {
namespace fs = std::filesystem;

namespace {

std::string state_file(const Stage& stage, const std::string& state_dir, const char* suffix) {
  return (fs::path(state_dir) / (stage.name + suffix)).string();
}

// The recorded manifest, or null when there is none (or it cannot be parsed: treated as never run).
nlohmann::json read_manifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  const auto doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return doc.is_discarded() ? nlohmann::json(nullptr) : doc;
}

void write_manifest(const std::string& path, const nlohmann::json& manifest) {
  fs::create_directories(fs::path(path).parent_path());
  io::write_file_atomic(path, manifest.dump(2) + "\n");
}

}  // namespace

nlohmann::json stage_manifest(const Stage& stage) {
  nlohmann::json inputs = nlohmann::json::object();
  for (const auto& path : stage.inputs) inputs[path] = fs::is_regular_file(path) ? io::sha256_file(path) : "missing";
  return {{"args", stage.args}, {"inputs", inputs}};
}

StageState stage_state(const Stage& stage, const nlohmann::json& manifest, const std::string& state_dir) {
  bool outputs_exist = true;
  for (const auto& path : stage.outputs) outputs_exist = outputs_exist && fs::exists(path);
  if (outputs_exist && read_manifest(state_file(stage, state_dir, ".json")) == manifest) return StageState::UpToDate;
  if (read_manifest(state_file(stage, state_dir, ".started.json")) == manifest) return StageState::Interrupted;
  return StageState::Changed;
}

void mark_started(const Stage& stage, const nlohmann::json& manifest, const std::string& state_dir) {
  std::error_code ignored;
  fs::remove(state_file(stage, state_dir, ".json"), ignored);
  write_manifest(state_file(stage, state_dir, ".started.json"), manifest);
}

void mark_finished(const Stage& stage, const nlohmann::json& manifest, const std::string& state_dir) {
  write_manifest(state_file(stage, state_dir, ".json"), manifest);
  std::error_code ignored;
  fs::remove(state_file(stage, state_dir, ".started.json"), ignored);
}

ChildResult run_child(const std::string& program, const std::vector<std::string>& args, const std::string& log_path) {
  int log_fd = -1;
  if (!log_path.empty()) {
    fs::create_directories(fs::path(log_path).parent_path());
    log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) fail(log_path, "cannot open the stage log for writing");
  }
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) fail(program, "cannot start a child process");
  if (pid == 0) {
    if (log_fd >= 0) ::dup2(log_fd, STDOUT_FILENO), ::dup2(log_fd, STDERR_FILENO);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);  // exec failed
  }
  if (log_fd >= 0) ::close(log_fd);
  int status = 0;
  struct rusage usage {};
  while (::wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) fail(program, "lost the child process");
  }
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return {WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status),
          seconds(usage.ru_utime) + seconds(usage.ru_stime)};
}

std::string tail_lines(const std::string& path, int lines) {
  std::ifstream in(path);
  std::deque<std::string> kept;
  for (std::string line; std::getline(in, line);) {
    kept.push_back(line);
    if (static_cast<int>(kept.size()) > lines) kept.pop_front();
  }
  std::string out;
  for (const auto& line : kept) out += line + "\n";
  return out;
}

}  // namespace latentlab::tools
