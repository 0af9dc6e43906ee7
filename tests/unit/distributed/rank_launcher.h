// Launching the test driver (tests/distributed/distributed_driver.cpp), or any program (`latentlab` in the
// end-to-end tests: launch_program / run_program_job), as the ranks of a job on loopback,
// torchrun style: fork + exec with RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT, each rank's
// stdout/stderr captured in files. The port is one the kernel hands out for a socket bound to port 0,
// so parallel ctest runs do not collide.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace latentlab::testing {

inline int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    ADD_FAILURE() << "cannot bind a loopback socket";
  close(fd);
  return ntohs(address.sin_port);
}

struct RankRun {
  pid_t pid = -1;
  std::string out_path, err_path;
  int exit_code = -1;  // after wait: the exit status, 128 + signal when killed, -1 when still running
  double seconds = 0;  // from launch to exit
  std::string err() const { return read_text(err_path); }
  std::string out() const { return read_text(out_path); }
};

// Starts `program` with `arguments`; `rank` < 0 launches it without the launch variables (one process).
// Output goes to SCRATCH/<tag>.out/.err, tag "single" or "rank<r>" unless given.
inline RankRun launch_program(const std::string& program, const ScratchDir& scratch,
                              const std::vector<std::string>& arguments, int rank, int world_size, int port,
                              std::string tag = "") {
  if (tag.empty()) tag = rank < 0 ? "single" : "rank" + std::to_string(rank);
  RankRun run{-1, scratch.file(tag + ".out"), scratch.file(tag + ".err")};
  std::vector<std::string> strings{program};
  strings.insert(strings.end(), arguments.begin(), arguments.end());
  std::vector<std::string> environment;
  for (char** e = environ; *e; ++e) {  // the caller's own launch variables, if any, are not ours
    const std::string entry = *e;
    bool launch_variable = false;
    for (const char* name : {"RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "MASTER_ADDR=", "MASTER_PORT="})
      launch_variable = launch_variable || entry.rfind(name, 0) == 0;
    if (!launch_variable) environment.push_back(entry);
  }
  if (rank >= 0)
    for (const std::string& entry : {"RANK=" + std::to_string(rank), "LOCAL_RANK=" + std::to_string(rank),
                                     "WORLD_SIZE=" + std::to_string(world_size), std::string("MASTER_ADDR=127.0.0.1"),
                                     "MASTER_PORT=" + std::to_string(port)})
      environment.push_back(entry);
  std::vector<char*> argv, envp;  // built before fork: the child only calls async-signal-safe functions
  for (std::string& s : strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (std::string& s : environment) envp.push_back(s.data());
  envp.push_back(nullptr);
  run.pid = fork();
  if (run.pid == 0) {
    const int out = open(run.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(run.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  return run;
}

// Waits for `run` at most `limit_s` seconds from `start`; returns false (and leaves it running) on timeout.
inline bool wait_rank(RankRun& run, std::chrono::steady_clock::time_point start, double limit_s) {
  while (true) {
    int status = 0;
    if (waitpid(run.pid, &status, WNOHANG) == run.pid) {
      run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      return true;
    }
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= limit_s) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

inline void kill_rank(RankRun& run) {
  kill(run.pid, SIGKILL);
  int status = 0;
  waitpid(run.pid, &status, 0);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs `program` as `world_size` ranks; every rank must end within `limit_s` (stragglers are killed).
inline std::vector<RankRun> run_program_job(const std::string& program, const ScratchDir& scratch,
                                            const std::vector<std::string>& arguments, int world_size,
                                            double limit_s = 60) {
  const int port = free_port();
  const auto start = std::chrono::steady_clock::now();
  std::vector<RankRun> runs;
  for (int rank = 0; rank < world_size; ++rank)
    runs.push_back(launch_program(program, scratch, arguments, rank, world_size, port));
  // Polled together, so that each rank's `seconds` is when it ended, not when the one before it was reaped.
  while (true) {
    bool running = false;
    for (RankRun& run : runs)
      if (run.exit_code == -1 && !wait_rank(run, start, 0)) running = true;
    if (!running) break;
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > limit_s) {
      for (RankRun& run : runs)
        if (run.exit_code == -1) kill_rank(run);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return runs;
}

#ifdef LATENTLAB_DISTRIBUTED_DRIVER  // unit_distributed: the test driver
inline RankRun launch_rank(const ScratchDir& scratch, const std::vector<std::string>& arguments, int rank,
                           int world_size, int port) {
  return launch_program(LATENTLAB_DISTRIBUTED_DRIVER, scratch, arguments, rank, world_size, port);
}

inline std::vector<RankRun> run_job(const ScratchDir& scratch, const std::vector<std::string>& arguments,
                                    int world_size, double limit_s = 60) {
  return run_program_job(LATENTLAB_DISTRIBUTED_DRIVER, scratch, arguments, world_size, limit_s);
}

inline RankRun run_single(const ScratchDir& scratch, const std::vector<std::string>& arguments) {
  const auto start = std::chrono::steady_clock::now();
  RankRun run = launch_rank(scratch, arguments, -1, 1, 0);
  if (!wait_rank(run, start, 60)) kill_rank(run);
  return run;
}
#endif

}  // namespace latentlab::testing
