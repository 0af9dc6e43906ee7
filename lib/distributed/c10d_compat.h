// Every difference between the c10d of Debian's LibTorch 1.13 and the 2.x LibTorch of the GPU build lives
// here (core/compat.h holds the rest). 2.0 split process groups into a ProcessGroup front and per-device
// Backends: ProcessGroupGloo and ProcessGroupNCCL now derive from c10d::Backend, which carries the same
// collective calls (broadcast, allreduce, barrier) that 1.13's c10d::ProcessGroup had. Private to
// lib/distributed: only its .cpp files include c10d.
#pragma once

#include <chrono>
#include <string>

#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include "core/compat.h"

#if LATENTLAB_TORCH_AT_LEAST(2, 0)
#include <torch/csrc/distributed/c10d/Backend.hpp>
#endif

namespace latentlab::distributed::c10d_compat {

#if LATENTLAB_TORCH_AT_LEAST(2, 0)
using Collectives = c10d::Backend;
#else
using Collectives = c10d::ProcessGroup;
#endif

bool has_gloo();  // compiled with Gloo (libgloo-dev headers on Debian)
bool has_nccl();  // compiled against a CUDA LibTorch with nccl.h

// Gloo over TCP. `hostname` names the address this process listens on; "" = the address this machine's
// hostname resolves to. GLOO_SOCKET_IFNAME, when set, names an interface instead, as in PyTorch.
c10::intrusive_ptr<Collectives> make_gloo(const c10::intrusive_ptr<c10d::Store>& store, int rank, int world_size,
                                          std::chrono::milliseconds timeout, const std::string& hostname);
// NCCL on CUDA device `gpu` (made the current device: NCCL binds to it).
c10::intrusive_ptr<Collectives> make_nccl(const c10::intrusive_ptr<c10d::Store>& store, int rank, int world_size,
                                          std::chrono::milliseconds timeout, int gpu);

}  // namespace latentlab::distributed::c10d_compat
