// How a process learns its place in a job: torchrun's environment variables. A launcher (torchrun, or
// tools/latentlab-slurm.sh for Slurm and mpirun) sets, per process,
//   RANK         global index of this process, 0 .. WORLD_SIZE-1
//   WORLD_SIZE   number of processes in the job; unset (or 1) = single-process mode, every service a no-op
//   LOCAL_RANK   index on this node (selects the GPU); defaults to RANK (one node)
//   MASTER_ADDR  host of rank 0, where the rendezvous store listens; defaults to 127.0.0.1
//   MASTER_PORT  its TCP port; defaults to 29500 (torchrun's default)
// Torch-free, so that commands can read it cheaply.
#pragma once

#include <functional>
#include <string>

namespace latentlab::distributed {

struct LaunchEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;

  bool distributed() const { return world_size > 1; }
};

// Looks a variable up; returns nullptr when unset. Tests pass a map; production passes std::getenv.
using EnvLookup = std::function<const char*(const char*)>;

// Reads and validates the variables above. Throws UserError naming the variable (e.g. "RANK: 3 is not below
// WORLD_SIZE=2") when one is malformed or missing while WORLD_SIZE > 1.
LaunchEnv read_launch_env(const EnvLookup& lookup);
LaunchEnv read_launch_env();  // from the process environment

// Parses a whole decimal integer in [low, high]; throws UserError naming `subject` otherwise.
int parse_int_in_range(const std::string& text, int low, int high, const std::string& subject);

}  // namespace latentlab::distributed
