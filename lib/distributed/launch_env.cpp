#include "distributed/launch_env.h"

#include <cerrno>
#include <cstdlib>

#include "core/error.h"

namespace latentlab::distributed {

int parse_int_in_range(const std::string& text, int low, int high, const std::string& subject) {
  errno = 0;
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE)
    fail_usage(subject, "'{}' is not an integer", text);
  if (value < low || value > high) fail_usage(subject, "{} is outside {}..{}", value, low, high);
  return static_cast<int>(value);
}

LaunchEnv read_launch_env(const EnvLookup& lookup) {
  LaunchEnv env;
  const char* world = lookup("WORLD_SIZE");
  if (world == nullptr) return env;  // single process
  env.world_size = parse_int_in_range(world, 1, 1 << 20, "WORLD_SIZE");
  if (!env.distributed()) return env;

  const char* rank = lookup("RANK");
  if (rank == nullptr)
    fail_usage("RANK", "not set, but WORLD_SIZE={} is (launch with torchrun-style variables)", world);
  env.rank = parse_int_in_range(rank, 0, env.world_size - 1, "RANK");
  const char* local_rank = lookup("LOCAL_RANK");
  env.local_rank = local_rank ? parse_int_in_range(local_rank, 0, env.world_size - 1, "LOCAL_RANK") : env.rank;
  if (const char* addr = lookup("MASTER_ADDR")) {
    if (*addr == '\0') fail_usage("MASTER_ADDR", "is empty");
    env.master_addr = addr;
  }
  if (const char* port = lookup("MASTER_PORT")) env.master_port = parse_int_in_range(port, 1, 65535, "MASTER_PORT");
  return env;
}

LaunchEnv read_launch_env() {
  return read_launch_env([](const char* name) { return static_cast<const char*>(std::getenv(name)); });
}

}  // namespace latentlab::distributed
