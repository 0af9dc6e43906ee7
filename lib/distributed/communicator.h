// One process's handle on a data-parallel job: rank, world size, and the collectives the training services
// need, on c10d (Gloo on CPU, NCCL on a CUDA build). Constructed from torchrun's environment
// (launch_env.h); without WORLD_SIZE it is a single-process communicator on which every collective is a
// no-op, so trainers call the same code in both modes.
//
// Failure handling: every collective waits at most `timeout_s` (c10d's process-group timeout). When a rank
// dies or stops answering, the collective fails and the call throws UserError with subject "distributed"
// and one line naming this rank, the operation and the cause; main() prints it and exits 1, so every
// surviving rank stops within the timeout instead of hanging. Rendezvous failures report the same way.
// That UserError is a RankLost, so that a trainer can catch it and say which checkpoint to resume from
// (train/lost_rank.h); afterwards lost() is true and write_on_rank0 (checkpoint_sync.h) no longer waits.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>

#include "core/error.h"
#include "distributed/launch_env.h"

namespace latentlab {
class OptionGroup;
}

namespace latentlab::distributed {

struct DistributedOptions {
  std::string backend = "auto";  // auto (nccl when built with it and a GPU is visible, else gloo) | gloo | nccl
  double timeout_s = 600;        // rendezvous and every collective; a checkpoint write on rank 0 must fit in it
  // A process group even for a single process (world size 1): the collective path runs, so its cost can be
  // measured against no group at all (tests/distributed/distributed_driver.cpp bench --force-group on). Not a
  // command-line option of latentlab.
  bool force_group = false;

  void register_options(OptionGroup& group);  // --dist-backend, --dist-timeout
};

enum class ReduceOp { Sum, Max, Min };

// What a collective throws when another rank died or did not answer within the timeout (subject
// "distributed"; main() prints it like any UserError).
class RankLost : public UserError {
 public:
  using UserError::UserError;
};

class Communicator;

// A collective started asynchronously. wait() blocks until it finished, throwing UserError on failure.
class Pending {
 public:
  Pending() = default;  // already complete (single-process mode)
  void wait();

 private:
  friend class Communicator;
  struct State;
  std::shared_ptr<State> state_;
};

class Communicator {
 public:
  Communicator();  // single process
  // Joins the job: rank 0 hosts a c10d TCPStore at MASTER_ADDR:MASTER_PORT, every rank connects and waits
  // for all WORLD_SIZE ranks (at most timeout_s), then the process group is created. With one process there
  // is no group (every collective a no-op) unless options.force_group.
  Communicator(const LaunchEnv& env, const DistributedOptions& options);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  // read_launch_env() + the constructor above (single process when WORLD_SIZE is unset or 1).
  static std::unique_ptr<Communicator> from_environment(const DistributedOptions& options);

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  int local_rank() const { return env_.local_rank; }
  bool distributed() const { return backend_ != "none"; }  // collectives go through a process group
  bool is_main() const { return env_.rank == 0; }          // rank 0 logs and writes checkpoints
  const std::string& backend() const { return backend_; }  // "none" | "gloo" | "nccl"
  // Where this rank's model lives: "cuda:<LOCAL_RANK>" with NCCL, else "cpu".
  std::string device() const;
  double timeout_s() const { return timeout_s_; }

  // In place; `tensor` must be dense and contiguous and, with NCCL, on device().
  void broadcast(at::Tensor& tensor, int root = 0);
  void all_reduce(at::Tensor& tensor, ReduceOp op = ReduceOp::Sum);
  Pending all_reduce_async(const at::Tensor& tensor);  // sum; keep `tensor` alive until wait()
  // Every rank waits here; `what` names the point in the error message ("after the checkpoint").
  void barrier(const std::string& what);

  // Throws the one-line RankLost for a failed `operation` (used by Pending and the services).
  [[noreturn]] void fail_lost(const std::string& operation, const std::exception_ptr& cause) const;
  // A collective failed because a rank was lost: the group is unusable and the job is stopping.
  bool lost() const { return lost_; }

 private:
  struct Impl;
  LaunchEnv env_;
  std::string backend_ = "none";
  int gpu_ = 0;  // NCCL's device: core/runtime.h's gpu_of_local_rank
  double timeout_s_ = 0;
  mutable std::atomic<bool> lost_{false};  // set by fail_lost, which a backward hook's thread may call
  std::unique_ptr<Impl> impl_;
};

}  // namespace latentlab::distributed
