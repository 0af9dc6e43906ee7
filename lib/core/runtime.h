// Process-wide settings every command shares: device, seed, threads, verbosity.
#pragma once

#include <cstdint>
#include <string>

namespace latentlab {

class OptionGroup;

struct RuntimeOptions {
  std::string device = "auto";  // auto | cpu | cuda | cuda:N
  int64_t seed = 0;
  int threads = 0;  // 0 = all cores (Debian's LibTorch would otherwise use 1)
  bool quiet = false;
  bool verbose = false;

  void register_options(OptionGroup& group);
};

struct Runtime {
  std::string device;  // resolved: "cpu" or "cuda:N"
  int threads = 1;
  int64_t seed = 0;
};

// Sets the log level, intra-op threads and every generator's seed; resolves the device.
// Throws UserError for `--device cuda` without a usable GPU or a malformed device string.
Runtime apply_runtime(const RuntimeOptions& options);

// Where a launcher (torchrun, tools/latentlab-slurm.sh) put this process: LOCAL_RANK and WORLD_SIZE.
struct DevicePlacement {
  int local_rank = -1;  // -1: LOCAL_RANK unset
  int world_size = 1;

  bool applies() const { return world_size > 1 && local_rank >= 0; }
};

// Reads the two variables' text (nullptr = unset); throws UserError naming the variable when malformed.
DevicePlacement parse_device_placement(const char* local_rank, const char* world_size);

// The GPU of a rank on a node with `cuda_devices` visible: LOCAL_RANK mod the count, so that both launch styles
// work: every GPU visible to every rank (torchrun: cuda:LOCAL_RANK) and each rank shown only its own (Slurm
// --gpus-per-task=1: cuda:0). Warns when ranks must share a GPU. Shared by --device and the NCCL communicator.
int gpu_of_local_rank(int local_rank, int cuda_devices);

// Validates `requested` (names --device on error) and maps it, given `cuda_devices` usable GPUs:
//   cpu -> cpu; cuda:N -> cuda:N (kept, also under a launcher);
//   cuda, and auto when a GPU is usable -> cuda:0, or under a launcher (WORLD_SIZE > 1 and LOCAL_RANK set)
//     cuda:(LOCAL_RANK mod cuda_devices): each rank of a node on its own GPU, and cuda:0 when the launcher
//     shows each rank only its own GPU (Slurm --gpus-per-task=1); auto without a GPU -> cpu.
// Pure: the tests call it with any device count.
std::string resolve_device(const std::string& requested, int cuda_devices, const DevicePlacement& placement);
// The same for this process: compat::cuda_device_count() and the environment's LOCAL_RANK/WORLD_SIZE.
std::string resolve_device(const std::string& requested);

// The number of cores this process may use (affinity-aware).
int available_cores();

}  // namespace latentlab
