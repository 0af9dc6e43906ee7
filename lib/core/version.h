// What this build is and what it runs on: `latentlab version` prints it, every results JSON embeds it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace latentlab {

const char* tool_version();  // "0.1.0"
const char* git_commit();    // "1a2b3c4d5e6f", "…-dirty" or "unknown"; generated at build time

struct VersionInfo {
  std::string tool;
  std::string git_commit;
  std::string torch;
  bool cuda_build = false;
  int cuda_devices = 0;
  std::vector<std::string> cuda_device_names;
  int threads = 1;
  std::string blas;       // the BLAS library actually loaded, e.g. "OpenBLAS 0.3.21 (…/openblas-openmp/libblas.so.3)"
  std::string allocator;  // core/allocator.h: how malloc is set up
  std::vector<std::string> features;  // compiled-in optional features
};

VersionInfo version_info();
nlohmann::json to_json(const VersionInfo& info);
std::string to_text(const VersionInfo& info);

// The BLAS that serves sgemm_ in this process (what LibTorch's float32 matmul uses on Debian).
std::string loaded_blas();

}  // namespace latentlab
