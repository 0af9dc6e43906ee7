#include "distributed/c10d_compat.h"

#include <cstdlib>

#include "core/error.h"

#ifdef LATENTLAB_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef LATENTLAB_WITH_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace latentlab::distributed::c10d_compat {

bool has_gloo() {
#ifdef LATENTLAB_WITH_GLOO
  return true;
#else
  return false;
#endif
}

bool has_nccl() {
#ifdef LATENTLAB_WITH_NCCL
  return true;
#else
  return false;
#endif
}

c10::intrusive_ptr<Collectives> make_gloo(const c10::intrusive_ptr<c10d::Store>& store, int rank, int world_size,
                                          std::chrono::milliseconds timeout, const std::string& hostname) {
#ifdef LATENTLAB_WITH_GLOO
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
  if (interface && *interface)
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
  else if (!hostname.empty())
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(hostname));
  else  // this machine's hostname, as torch.distributed does
    options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world_size, options);
#else
  fail_usage("--dist-backend",
             "gloo is not compiled in (configure with libgloo-dev installed and -DLATENTLAB_GLOO=ON)");
#endif
}

c10::intrusive_ptr<Collectives> make_nccl(const c10::intrusive_ptr<c10d::Store>& store, int rank, int world_size,
                                          std::chrono::milliseconds timeout, int gpu) {
#ifdef LATENTLAB_WITH_NCCL
  c10::cuda::set_device(static_cast<c10::DeviceIndex>(gpu));  // NCCL binds to the current device
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, world_size, options);
#else
  fail_usage("--dist-backend", "nccl needs a CUDA build of LibTorch with NCCL (configure with -DLATENTLAB_CUDA=ON)");
#endif
}

}  // namespace latentlab::distributed::c10d_compat
