// tools/latentlab-slurm.sh maps Slurm's and mpirun's variables to torchrun's: run it with made-up launcher
// variables and `env` as the command, and read what the rank would see.
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab::testing {
namespace {

const std::string kWrapper = std::string(LATENTLAB_SOURCE_DIR) + "/tools/latentlab-slurm.sh";

// Runs the wrapper in an empty environment (PATH = `path`) with `variables` set and `command` after it.
CommandResult run_wrapper(const std::map<std::string, std::string>& variables, const std::string& command,
                          const std::string& path = "/usr/bin:/bin") {
  std::string line = "env -i PATH=" + path;
  for (const auto& [name, value] : variables) line += " " + name + "=" + value;
  return run_command(line + " sh " + kWrapper + " " + command);
}

// The variables `env` printed, by name.
std::map<std::string, std::string> parse_env(const std::string& text) {
  std::map<std::string, std::string> variables;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    const auto eq = line.find('=');
    if (eq != std::string::npos) variables[line.substr(0, eq)] = line.substr(eq + 1);
    start = end + 1;
  }
  return variables;
}

TEST(SlurmWrapper, MapsSlurmVariablesToTorchrunOnes) {
  const auto run = run_wrapper({{"SLURM_PROCID", "3"},
                                {"SLURM_NTASKS", "8"},
                                {"SLURM_LOCALID", "1"},
                                {"SLURM_JOB_ID", "12345"},
                                {"MASTER_ADDR", "node1"}},
                               "env");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto env = parse_env(run.out);
  EXPECT_EQ(env.at("RANK"), "3");
  EXPECT_EQ(env.at("WORLD_SIZE"), "8");
  EXPECT_EQ(env.at("LOCAL_RANK"), "1");
  EXPECT_EQ(env.at("MASTER_ADDR"), "node1");
  EXPECT_EQ(env.at("MASTER_PORT"), "31845");  // 29500 + 12345 mod 10000: one port per job
}

TEST(SlurmWrapper, RankZeroIsARankAndTheFirstNodeIsTheMaster) {
  ScratchDir bin;  // a stand-in for Slurm's scontrol, which expands the node list
  write_bytes(bin.file("scontrol"), "#!/bin/sh\nprintf 'gpu-a17\\ngpu-a18\\n'\n");
  ASSERT_EQ(run_command("chmod +x " + bin.file("scontrol")).exit_code, 0);
  const auto run = run_wrapper(
      {{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}, {"SLURM_LOCALID", "0"}, {"SLURM_JOB_NODELIST", "gpu-a[17-18]"}},
      "env", bin.path() + ":/usr/bin:/bin");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto env = parse_env(run.out);
  EXPECT_EQ(env.at("RANK"), "0");
  EXPECT_EQ(env.at("MASTER_ADDR"), "gpu-a17");
  EXPECT_EQ(env.at("MASTER_PORT"), "29500");
}

TEST(SlurmWrapper, MapsOpenMpiVariables) {
  const auto run = run_wrapper({{"OMPI_COMM_WORLD_RANK", "5"},
                                {"OMPI_COMM_WORLD_SIZE", "6"},
                                {"OMPI_COMM_WORLD_LOCAL_RANK", "2"},
                                {"MASTER_ADDR", "head"}},
                               "env");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto env = parse_env(run.out);
  EXPECT_EQ(env.at("RANK"), "5");
  EXPECT_EQ(env.at("WORLD_SIZE"), "6");
  EXPECT_EQ(env.at("LOCAL_RANK"), "2");
}

TEST(SlurmWrapper, VariablesAlreadySetWinSoItIsHarmlessUnderTorchrun) {
  const auto run = run_wrapper({{"RANK", "1"},
                                {"WORLD_SIZE", "2"},
                                {"LOCAL_RANK", "1"},
                                {"MASTER_ADDR", "127.0.0.1"},
                                {"MASTER_PORT", "29611"},
                                {"SLURM_PROCID", "7"},
                                {"SLURM_NTASKS", "16"}},
                               "env");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto env = parse_env(run.out);
  EXPECT_EQ(env.at("RANK"), "1");
  EXPECT_EQ(env.at("WORLD_SIZE"), "2");
  EXPECT_EQ(env.at("MASTER_PORT"), "29611");
}

TEST(SlurmWrapper, PassesTheCommandAndItsArgumentsThrough) {
  const auto run = run_wrapper({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}}, "printf '%s|' a 'b c'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "a|b c|");
}

TEST(SlurmWrapper, RefusesWithOneLineWhenItCannotTell) {
  const auto no_rank = run_wrapper({}, "env");
  EXPECT_EQ(no_rank.exit_code, 2);
  EXPECT_CONTAINS(no_rank.err, "no rank found");
  EXPECT_EQ(no_rank.out, "");

  const auto no_master = run_wrapper({{"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "2"}}, "env");
  EXPECT_EQ(no_master.exit_code, 2);
  EXPECT_CONTAINS(no_master.err, "MASTER_ADDR: not set and not derivable");

  const auto no_command = run_wrapper({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}}, "");
  EXPECT_EQ(no_command.exit_code, 2);
  EXPECT_CONTAINS(no_command.err, "usage:");
}

}  // namespace
}  // namespace latentlab::testing
