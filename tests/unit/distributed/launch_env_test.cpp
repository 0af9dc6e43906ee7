// read_launch_env against torchrun's variables, given as a map.
#include <map>

#include <gtest/gtest.h>

#include "distributed/launch_env.h"
#include "support/expect_user_error.h"

namespace latentlab::distributed {
namespace {

EnvLookup lookup_in(const std::map<std::string, std::string>& variables) {
  return [variables](const char* name) -> const char* {
    const auto it = variables.find(name);
    return it == variables.end() ? nullptr : it->second.c_str();
  };
}

TEST(LaunchEnv, WithoutWorldSizeIsOneProcess) {
  const LaunchEnv env = read_launch_env(lookup_in({{"RANK", "3"}}));
  EXPECT_FALSE(env.distributed());
  EXPECT_EQ(env.rank, 0);
  EXPECT_EQ(env.world_size, 1);
  EXPECT_FALSE(read_launch_env(lookup_in({{"WORLD_SIZE", "1"}})).distributed());
}

TEST(LaunchEnv, ReadsTorchrunVariables) {
  const LaunchEnv env = read_launch_env(lookup_in(
      {{"WORLD_SIZE", "8"}, {"RANK", "5"}, {"LOCAL_RANK", "1"}, {"MASTER_ADDR", "node7"}, {"MASTER_PORT", "29611"}}));
  EXPECT_TRUE(env.distributed());
  EXPECT_EQ(env.rank, 5);
  EXPECT_EQ(env.world_size, 8);
  EXPECT_EQ(env.local_rank, 1);
  EXPECT_EQ(env.master_addr, "node7");
  EXPECT_EQ(env.master_port, 29611);
}

TEST(LaunchEnv, DefaultsLikeTorchrun) {
  const LaunchEnv env = read_launch_env(lookup_in({{"WORLD_SIZE", "2"}, {"RANK", "1"}}));
  EXPECT_EQ(env.local_rank, 1);  // one node: the local rank is the rank
  EXPECT_EQ(env.master_addr, "127.0.0.1");
  EXPECT_EQ(env.master_port, 29500);
}

TEST(LaunchEnv, BadVariablesNameThemselves) {
  using testing::problem_of;
  EXPECT_CONTAINS(problem_of([] { read_launch_env(lookup_in({{"WORLD_SIZE", "2"}})); }, "RANK"), "not set");
  EXPECT_CONTAINS(problem_of(
                      [] {
                        read_launch_env(lookup_in({{"WORLD_SIZE", "2"}, {"RANK", "2"}}));
                      },
                      "RANK"),
                  "2 is outside 0..1");
  EXPECT_CONTAINS(problem_of(
                      [] {
                        read_launch_env(lookup_in({{"WORLD_SIZE", "two"}}));
                      },
                      "WORLD_SIZE"),
                  "'two' is not an integer");
  EXPECT_CONTAINS(problem_of(
                      [] {
                        read_launch_env(lookup_in({{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_PORT", "70000"}}));
                      },
                      "MASTER_PORT"),
                  "outside 1..65535");
  EXPECT_CONTAINS(problem_of(
                      [] {
                        read_launch_env(lookup_in({{"WORLD_SIZE", "2"}, {"RANK", "1x"}}));
                      },
                      "RANK"),
                  "not an integer");
}

}  // namespace
}  // namespace latentlab::distributed
