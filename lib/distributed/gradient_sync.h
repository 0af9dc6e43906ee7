// Gradient averaging across ranks, in buckets, overlapped with backward (what DDP's Reducer does; LibTorch's
// C++ frontend has no DistributedDataParallel module).
//
// Parameters are grouped into buckets of about `bucket_bytes`, in reverse registration order (the order
// backward produces gradients). With `overlap`, a hook on each parameter's gradient accumulator counts the
// gradients as autograd writes them; when a bucket is complete its gradients are copied into one flat
// buffer, divided by the world size and all-reduced asynchronously (Gloo and NCCL run collectives on their
// own threads/streams) while backward goes on with earlier layers. Buckets are launched strictly in index
// order on every rank, as collectives must match across ranks. finish() launches what is left (parameters
// that got no gradient count as zeros), waits, and writes the averages back into `.grad`.
//
// Use, per optimiser step (gradient accumulation: call prepare() only before the last micro-batch's
// backward, like DDP's no_sync(); the earlier backwards then just accumulate locally):
//   sync.prepare();  loss.backward();  sync.finish();  optimizer.step();
// One backward per prepare(): sum several losses before calling backward.
// With one process every call is a no-op and `.grad` is left as backward wrote it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>

namespace latentlab::distributed {

class Communicator;

struct GradientSyncOptions {
  int64_t bucket_bytes = 25 << 20;  // DDP's default bucket cap (25 MiB)
  bool overlap = true;              // false: every bucket is reduced in finish(), after backward
};

class GradientSync {
 public:
  // `parameters`: those of the model being trained (frozen ones, requires_grad false, are skipped). The
  // communicator must outlive this object.
  GradientSync(Communicator& communicator, const std::vector<at::Tensor>& parameters, GradientSyncOptions options = {});
  ~GradientSync();
  GradientSync(const GradientSync&) = delete;
  GradientSync& operator=(const GradientSync&) = delete;

  void prepare();  // arms the hooks for the next backward (no-op without overlap)
  void finish();   // after backward: every .grad becomes the mean over ranks; throws UserError on a lost rank

  size_t bucket_count() const;
  // Buckets whose all-reduce started inside the last backward (0 without overlap): the overlap achieved.
  size_t launched_during_backward() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace latentlab::distributed
