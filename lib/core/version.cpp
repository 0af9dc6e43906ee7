#include "core/version.h"

#include <dlfcn.h>

#include <climits>
#include <cstdlib>

#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/allocator.h"
#include "core/compat.h"

#ifndef LATENTLAB_VERSION
#define LATENTLAB_VERSION "0.0.0"
#endif

namespace latentlab {

const char* tool_version() {
  return LATENTLAB_VERSION;
}

std::string loaded_blas() {
  void* symbol = dlsym(RTLD_DEFAULT, "sgemm_");
  if (!symbol) return "none (no sgemm_ loaded)";
  Dl_info info{};
  std::string path = "?";
  if (dladdr(symbol, &info) && info.dli_fname) {
    char resolved[PATH_MAX];
    path = realpath(info.dli_fname, resolved) ? resolved : info.dli_fname;
  }
  using ConfigFn = char* (*)();
  if (auto config = reinterpret_cast<ConfigFn>(dlsym(RTLD_DEFAULT, "openblas_get_config")))
    return fmt::format("{} ({})", config(), path);
  if (path.find("blas/libblas") != std::string::npos || path.find("netlib") != std::string::npos)
    return fmt::format("reference BLAS, slow: install libopenblas0-openmp ({})", path);
  return path;
}

VersionInfo version_info() {
  VersionInfo info;
  info.tool = tool_version();
  info.git_commit = git_commit();
  info.torch = compat::torch_version();
#ifdef LATENTLAB_WITH_CUDA
  info.cuda_build = true;
#endif
  info.cuda_devices = compat::cuda_device_count();
  for (int i = 0; i < info.cuda_devices; ++i) info.cuda_device_names.push_back(compat::cuda_device_name(i));
  info.threads = at::get_num_threads();
  info.blas = loaded_blas();
  info.allocator = allocator_description();
#ifdef LATENTLAB_WITH_ZIP
  info.features.push_back("zip");
#endif
#ifdef LATENTLAB_WITH_HDF5
  info.features.push_back("hdf5");
#endif
#ifdef LATENTLAB_WITH_OPENCV
  info.features.push_back("opencv");
#endif
#ifdef LATENTLAB_WITH_CUDA
  info.features.push_back("cuda");
#endif
  return info;
}

nlohmann::json to_json(const VersionInfo& info) {
  return {{"tool_version", info.tool},
          {"git_commit", info.git_commit},
          {"libtorch", info.torch},
          {"cuda_build", info.cuda_build},
          {"cuda_devices", info.cuda_devices},
          {"cuda_device_names", info.cuda_device_names},
          {"threads", info.threads},
          {"blas", info.blas},
          {"allocator", info.allocator},
          {"features", info.features}};
}

std::string to_text(const VersionInfo& info) {
  std::string devices = info.cuda_devices == 0 ? "none" : std::to_string(info.cuda_devices);
  for (size_t i = 0; i < info.cuda_device_names.size(); ++i)
    devices += fmt::format("{} [{}] {}", i == 0 ? ":" : ",", i, info.cuda_device_names[i]);
  std::string features;
  for (const auto& f : info.features) features += (features.empty() ? "" : " ") + f;
  return fmt::format(
      "latentlab {}\n"
      "git commit:   {}\n"
      "LibTorch:     {}\n"
      "CUDA build:   {}\n"
      "CUDA devices: {}\n"
      "threads:      {}\n"
      "BLAS:         {}\n"
      "allocator:    {}\n"
      "features:     {}\n",
      info.tool, info.git_commit, info.torch, info.cuda_build ? "yes" : "no", devices, info.threads, info.blas,
      info.allocator, features.empty() ? "(none)" : features);
}

}  // namespace latentlab
