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

// "auto" -> "cuda:0" when a GPU is usable, else "cpu". Validates the string (names --device on error).
std::string resolve_device(const std::string& requested);

// The number of cores this process may use (affinity-aware).
int available_cores();

}  // namespace latentlab
