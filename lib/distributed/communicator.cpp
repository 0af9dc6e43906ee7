#include "distributed/communicator.h"

#include <csignal>

#include <c10/util/Exception.h>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/Work.hpp>

#include "core/compat.h"
#include "core/error.h"
#include "core/log.h"
#include "core/runtime.h"
#include "distributed/c10d_compat.h"

namespace latentlab::distributed {

struct Communicator::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d_compat::Collectives> group;
};

struct Pending::State {
  const Communicator* communicator = nullptr;
  c10::intrusive_ptr<c10d::Work> work;
  std::string operation;
};

namespace {

// The first line of an exception's message, without c10's backtrace.
std::string first_line(const std::exception_ptr& cause) {
  std::string text = "unknown error";
  try {
    std::rethrow_exception(cause);
  } catch (const c10::Error& e) {
    text = e.what_without_backtrace();
  } catch (const std::exception& e) {
    text = e.what();
  } catch (...) {
  }
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

std::string choose_backend(const std::string& requested) {
  if (requested == "gloo" || requested == "nccl") return requested;
  if (requested != "auto") fail_usage("--dist-backend", "'{}' is not one of auto, gloo, nccl", requested);
  return c10d_compat::has_nccl() && compat::cuda_device_count() > 0 ? "nccl" : "gloo";
}

c10d::ReduceOp to_c10d(ReduceOp op) {
  switch (op) {
    case ReduceOp::Max:
      return c10d::ReduceOp::MAX;
    case ReduceOp::Min:
      return c10d::ReduceOp::MIN;
    case ReduceOp::Sum:
      break;
  }
  return c10d::ReduceOp::SUM;
}

}  // namespace

Communicator::Communicator() : impl_(std::make_unique<Impl>()) {}

Communicator::Communicator(const LaunchEnv& env, const DistributedOptions& options)
    : env_(env), impl_(std::make_unique<Impl>()) {
  if (!(options.timeout_s > 0))
    fail_usage("--dist-timeout", "{} is not a positive number of seconds", options.timeout_s);
  timeout_s_ = options.timeout_s;
  if (!env.distributed() && !options.force_group) return;
  backend_ = choose_backend(options.backend);
  // A peer that dies closes its sockets; writing to them must fail the collective, not kill this process
  // silently with SIGPIPE (Python, and so torchrun jobs, ignore SIGPIPE too).
  std::signal(SIGPIPE, SIG_IGN);
  if (backend_ == "nccl") gpu_ = gpu_of_local_rank(env.local_rank, compat::cuda_device_count());
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(options.timeout_s * 1000));
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<uint16_t>(env.master_port);
    store_options.isServer = env.rank == 0;
    store_options.numWorkers = static_cast<size_t>(env.world_size);
    store_options.waitWorkers = true;
    store_options.timeout = timeout;
    impl_->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, store_options);
    impl_->group = backend_ == "nccl" ? c10d_compat::make_nccl(impl_->store, env.rank, env.world_size, timeout, gpu_)
                                      : c10d_compat::make_gloo(impl_->store, env.rank, env.world_size, timeout,
                                                               is_loopback(env.master_addr) ? "127.0.0.1" : "");
  } catch (const UserError&) {
    throw;
  } catch (...) {
    fail("distributed", "rank {} of {}: rendezvous at {}:{} failed within {} s: {}", env.rank, env.world_size,
         env.master_addr, env.master_port, options.timeout_s, first_line(std::current_exception()));
  }
  log::info("distributed: rank {} of {} (local rank {}), {} backend, rendezvous {}:{}", env.rank, env.world_size,
            env.local_rank, backend_, env.master_addr, env.master_port);
}

Communicator::~Communicator() = default;

std::unique_ptr<Communicator> Communicator::from_environment(const DistributedOptions& options) {
  return std::make_unique<Communicator>(read_launch_env(), options);
}

std::string Communicator::device() const {
  return backend_ == "nccl" ? "cuda:" + std::to_string(gpu_) : "cpu";
}

void Communicator::fail_lost(const std::string& operation, const std::exception_ptr& cause) const {
  lost_ = true;
  throw RankLost("distributed",
                 fmt::format("rank {} of {}: {} failed ({}): another rank stopped or did not answer within {} s; "
                             "stopping",
                             env_.rank, env_.world_size, operation, first_line(cause), timeout_s_));
}

void Pending::wait() {
  if (!state_) return;
  const auto state = std::move(state_);
  try {
    state->work->wait();
  } catch (...) {
    state->communicator->fail_lost(state->operation, std::current_exception());
  }
}

Pending Communicator::all_reduce_async(const at::Tensor& tensor) {
  Pending pending;
  if (!distributed()) return pending;
  pending.state_ = std::make_shared<Pending::State>();
  pending.state_->communicator = this;
  pending.state_->operation = "all-reduce";
  std::vector<at::Tensor> tensors{tensor};
  try {
    pending.state_->work = impl_->group->allreduce(tensors);
  } catch (...) {
    fail_lost("all-reduce", std::current_exception());
  }
  return pending;
}

void Communicator::all_reduce(at::Tensor& tensor, ReduceOp op) {
  if (!distributed()) return;
  std::vector<at::Tensor> tensors{tensor};
  c10d::AllreduceOptions reduce_options;
  reduce_options.reduceOp = to_c10d(op);
  try {
    impl_->group->allreduce(tensors, reduce_options)->wait();
  } catch (...) {
    fail_lost("all-reduce", std::current_exception());
  }
}

void Communicator::broadcast(at::Tensor& tensor, int root) {
  if (!distributed()) return;
  std::vector<at::Tensor> tensors{tensor};
  c10d::BroadcastOptions broadcast_options;
  broadcast_options.rootRank = root;
  try {
    impl_->group->broadcast(tensors, broadcast_options)->wait();
  } catch (...) {
    fail_lost(fmt::format("broadcast from rank {}", root), std::current_exception());
  }
}

void Communicator::barrier(const std::string& what) {
  if (!distributed()) return;
  try {
    impl_->group->barrier()->wait();
  } catch (...) {
    fail_lost("barrier " + what, std::current_exception());
  }
}

}  // namespace latentlab::distributed
