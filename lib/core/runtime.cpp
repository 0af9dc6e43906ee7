#include "core/runtime.h"

#include <sched.h>

#include <cerrno>
#include <cstdlib>
#include <thread>

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include "core/compat.h"
#include "core/error.h"
#include "core/log.h"
#ifdef LATENTLAB_WITH_BOOST
#include "core/options.h"
#endif

namespace latentlab {

#ifdef LATENTLAB_WITH_BOOST
void RuntimeOptions::register_options(OptionGroup& group) {
  group.add("device", &device, "Where to compute: auto, cpu, cuda or cuda:N");
  group.add("seed", &seed, "Seed for every random generator");
  group.add("threads", &threads, "CPU threads for tensor operations; 0 uses all cores");
  group.add("quiet", &quiet, "Print nothing but errors and the final summary");
  group.add("verbose", &verbose, "Print debug messages");
}
#endif

int available_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

DevicePlacement parse_device_placement(const char* local_rank, const char* world_size) {
  const auto parse = [](const char* text, const char* name) {
    errno = 0;
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || errno == ERANGE || value < 0 || value > (1 << 20))
      fail_usage(name, "'{}' is not a non-negative integer", text);
    return static_cast<int>(value);
  };
  DevicePlacement placement;
  if (local_rank != nullptr) placement.local_rank = parse(local_rank, "LOCAL_RANK");
  if (world_size != nullptr) placement.world_size = parse(world_size, "WORLD_SIZE");
  return placement;
}

int gpu_of_local_rank(int local_rank, int cuda_devices) {
  if (cuda_devices <= 0) return 0;
  if (local_rank >= cuda_devices && cuda_devices > 1)
    log::warn("LOCAL_RANK={} but {} CUDA devices are visible: sharing cuda:{}", local_rank, cuda_devices,
              local_rank % cuda_devices);
  return local_rank % cuda_devices;
}

std::string resolve_device(const std::string& requested, int cuda_devices, const DevicePlacement& placement) {
  // Under a launcher every rank gets the same command line: LOCAL_RANK picks the rank's GPU, as
  // DistributedDataParallel's torch.cuda.set_device(local_rank) does (and the NCCL communicator).
  const auto launched_gpu = [&] {
    return placement.applies() ? gpu_of_local_rank(placement.local_rank, cuda_devices) : 0;
  };
  if (requested == "auto") return cuda_devices > 0 ? "cuda:" + std::to_string(launched_gpu()) : "cpu";
  if (requested == "cpu") return "cpu";
  if (requested.rfind("cuda", 0) == 0) {
    int index = -1;  // plain "cuda"
    if (requested.size() > 4) {
      const std::string digits = requested.substr(requested.size() > 5 ? 5 : 4);
      if (requested[4] != ':' || digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
          digits.size() > 3)
        fail_usage("--device", "malformed device '{}' (known: auto, cpu, cuda, cuda:N)", requested);
      index = std::stoi(digits);
    }
    if (cuda_devices == 0)
      fail_usage("--device", "'{}' requested but no CUDA device is usable in this build", requested);
    if (index < 0) index = launched_gpu();
    if (index >= cuda_devices)
      fail_usage("--device", "'{}' requested but only {} CUDA device(s) exist", requested, cuda_devices);
    return "cuda:" + std::to_string(index);
  }
  fail_usage("--device", "unknown device '{}' (known: auto, cpu, cuda, cuda:N)", requested);
}

std::string resolve_device(const std::string& requested) {
  const int gpus = compat::cuda_device_count();
  // core sits below lib/distributed (distributed/launch_env.h, which validates every launch variable), so
  // the two variables the device needs are read here, and only when they matter: a GPU to place, no index given.
  const bool placed = gpus > 0 && (requested == "auto" || requested == "cuda");
  const DevicePlacement placement =
      placed ? parse_device_placement(std::getenv("LOCAL_RANK"), std::getenv("WORLD_SIZE")) : DevicePlacement{};
  return resolve_device(requested, gpus, placement);
}

Runtime apply_runtime(const RuntimeOptions& options) {
  log::set_level(options.quiet ? log::Level::Quiet : options.verbose ? log::Level::Debug : log::Level::Info);
  if (options.threads < 0) fail_usage("--threads", "must be >= 0, got {}", options.threads);
  if (options.seed < 0) fail_usage("--seed", "must be >= 0, got {}", options.seed);
  Runtime runtime;
  runtime.threads = options.threads > 0 ? options.threads : available_cores();
  at::set_num_threads(runtime.threads);
  runtime.seed = options.seed;
  at::manual_seed(static_cast<uint64_t>(options.seed));
  runtime.device = resolve_device(options.device);
  log::debug("runtime: device {}, {} threads, seed {}", runtime.device, runtime.threads, runtime.seed);
  return runtime;
}

}  // namespace latentlab
