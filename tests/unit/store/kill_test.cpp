// kill -9 at any moment: a child process (this test binary re-executed with StoreKillChild.Writer) writes a
// store in small batches and is killed with SIGKILL: by itself at exact points of the writer (between the
// row writes and their fdatasync; halfway through finish()'s metadata copy, which leaves HDF5 metadata half
// old, half new), and by the parent at random moments once the child is writing. Each new child resumes
// what the last one left. The finished file must equal, byte for byte, the store an uninterrupted
// in-process run writes with the same creation time. (writer_test.cpp covers every named point in-process.)
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "store_test_util.h"
#include "support/test_support.h"

namespace latentlab::store {
namespace {

using namespace store::testing;

constexpr int64_t kRows = 120;
constexpr int64_t kBatch = 4;
const char* kCreationTime = "2026-01-02T03:04:05Z";

StoreIdentity kill_identity() {
  return test_identity(LatentDType::Float32, /*flip=*/true, /*key_width=*/24);
}

// The child: does nothing unless started by the parent below.
TEST(StoreKillChild, Writer) {
  const char* path = std::getenv("LATENTLAB_STORE_KILL_PATH");
  if (!path) return;
  const char* at = std::getenv("LATENTLAB_STORE_KILL_AT");  // "point:count" or unset
  WriterOptions options;
  options.creation_time = kCreationTime;
  const char* pace = std::getenv("LATENTLAB_STORE_KILL_PACE_MS");  // pause after each commit
  if (pace) {
    const int ms = std::stoi(pace);
    options.crash_point = [ms](const char* p) {
      if (std::string(p) == "committed") std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    };
  }
  if (at) {
    const std::string spec = at;
    const std::string point = spec.substr(0, spec.find(':'));
    const int count = std::stoi(spec.substr(spec.find(':') + 1));
    auto seen = std::make_shared<int>(0);
    options.crash_point = [point, count, seen](const char* p) {
      if (point == p && ++*seen == count) ::kill(::getpid(), SIGKILL);
    };
  }
  write_store(path, kill_identity(), iota_positions(kRows), kBatch, options);
}

std::string self_path() {
  char buffer[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
}

// Starts the child; returns its pid.
pid_t start_child(const std::string& path, const std::string& at, int pace_ms = 0) {
  const std::string exe = self_path();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("LATENTLAB_STORE_KILL_PATH", path.c_str(), 1);
    if (!at.empty()) ::setenv("LATENTLAB_STORE_KILL_AT", at.c_str(), 1);
    if (pace_ms > 0) ::setenv("LATENTLAB_STORE_KILL_PACE_MS", std::to_string(pace_ms).c_str(), 1);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::execl(exe.c_str(), exe.c_str(), "--gtest_filter=StoreKillChild.Writer", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

// Waits for the child; returns "exit N" or "signal N".
std::string wait_child(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                           : "signal " + std::to_string(WTERMSIG(status));
}

TEST(StoreKill, Kill9AtAnyMomentThenResumeEqualsUninterruptedRun) {
  latentlab::testing::ScratchDir dir;
  WriterOptions options;
  options.creation_time = kCreationTime;
  write_store(dir.file("ref.h5"), kill_identity(), iota_positions(kRows), kBatch, options);
  const std::string reference = latentlab::testing::read_text(dir.file("ref.h5"));

  const std::string path = dir.file("killed.h5");
  const auto committed = [&]() -> int64_t {
    if (!latentlab::testing::file_exists(record_path(path))) return -1;
    try {
      return nlohmann::json::parse(latentlab::testing::read_text(record_path(path))).at("rows_committed");
    } catch (const std::exception&) {
      return -1;
    }
  };
  // A self-inflicted kill at an exact point (the count-th time the writer reaches it).
  EXPECT_EQ(wait_child(start_child(path, "rows-written:2")), "signal 9");
  // Kills from outside at random moments: once the child has committed a batch of its own (it needs ~1.5 s
  // to load LibTorch first), after a random 0-40 ms, so the kill lands anywhere in pwrite, fdatasync, the
  // commit record's write and rename, or the statistics update. These children pause 15 ms after each
  // commit so that a parent starved of CPU by other jobs still catches them before they finish.
  std::mt19937 rng(20261126);
  int random_kills = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const int64_t before = committed();
    const pid_t pid = start_child(path, "", 15);
    int status = 0;
    bool exited = false;
    while (committed() == before && !(exited = ::waitpid(pid, &status, WNOHANG) == pid))
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    if (!exited) {
      std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 40000)(rng)));
      ::kill(pid, SIGKILL);
    }
    const std::string end = exited ? "exit " + std::to_string(WEXITSTATUS(status)) : wait_child(pid);
    if (end == "exit 0") break;  // finished before the kill (a very busy machine)
    EXPECT_EQ(end, "signal 9");
    ++random_kills;
  }
  EXPECT_GE(random_kills, 1) << "no random kill landed while the child was writing";
  // Killed halfway through finish()'s metadata copy: the HDF5 metadata is half old, half new.
  const std::string second = dir.file("killed-in-finish.h5");
  const std::string finish_path = latentlab::testing::file_exists(path) ? second : path;
  EXPECT_EQ(wait_child(start_child(finish_path, "finish-metadata-half:1")), "signal 9");
  EXPECT_TRUE(latentlab::testing::file_exists(partial_path(finish_path)));
  for (const std::string& p : {path, finish_path}) {
    if (!latentlab::testing::file_exists(p)) {
      EXPECT_EQ(wait_child(start_child(p, "")), "exit 0");
    }
    ASSERT_TRUE(latentlab::testing::file_exists(p));
    EXPECT_TRUE(latentlab::testing::read_text(p) == reference) << p << " differs from the uninterrupted store";
    std::remove(p.c_str());
  }
  EXPECT_EQ(dir.list(), std::vector<std::string>{"ref.h5"});  // no leftovers
}

}  // namespace
}  // namespace latentlab::store
