#include "core/runtime.h"

#include <sched.h>

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

std::string resolve_device(const std::string& requested) {
  const int gpus = compat::cuda_device_count();
  if (requested == "auto") return gpus > 0 ? "cuda:0" : "cpu";
  if (requested == "cpu") return "cpu";
  if (requested.rfind("cuda", 0) == 0) {
    int index = 0;
    if (requested.size() > 4) {
      const std::string digits = requested.substr(requested.size() > 5 ? 5 : 4);
      if (requested[4] != ':' || digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos ||
          digits.size() > 3)
        fail_usage("--device", "malformed device '{}' (known: auto, cpu, cuda, cuda:N)", requested);
      index = std::stoi(digits);
    }
    if (gpus == 0) fail_usage("--device", "'{}' requested but no CUDA device is usable in this build", requested);
    if (index >= gpus) fail_usage("--device", "'{}' requested but only {} CUDA device(s) exist", requested, gpus);
    return "cuda:" + std::to_string(index);
  }
  fail_usage("--device", "unknown device '{}' (known: auto, cpu, cuda, cuda:N)", requested);
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
