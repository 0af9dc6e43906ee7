// Keeping model state identical (or consistent) across ranks.
//
// - Start of training and after resuming: broadcast_state() copies rank 0's parameters and buffers to
//   every rank (DDP does the same at construction).
// - Parameters stay identical afterwards without communication: every rank applies the same averaged
//   gradients (gradient_sync.h) with the same optimiser. So does an EMA of them, once its copy was
//   broadcast at the start: the EMA needs no per-step synchronisation.
// - BatchNorm running statistics differ per rank, because each rank normalises its own part of the batch.
//   average_buffers() all-reduces them to their mean over ranks (we chose all-reduce over DDP's broadcast
//   from rank 0 so that no rank's data is ignored). With equal per-rank batches the averaged running_mean
//   equals the single-process running mean over the whole global batch exactly (the momentum update is
//   linear); running_var then averages per-rank variances, which leaves out the spread between the ranks'
//   means (the training-mode normalisation itself stays per rank: this is not SyncBatchNorm). Call it
//   every step, or at least before evaluation and checkpoints.
#pragma once

#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace torch::nn {
class Module;
}

namespace latentlab::distributed {

class Communicator;

// Rank 0's values into every rank's tensors (in place). Tensors are coalesced per dtype into one buffer.
void broadcast_tensors(Communicator& communicator, const std::vector<at::Tensor>& tensors);
// Every tensor becomes its mean over ranks (floating point only).
void average_tensors(Communicator& communicator, const std::vector<at::Tensor>& tensors);

// Parameters and buffers of `module`, recursively, from rank 0.
void broadcast_state(Communicator& communicator, const torch::nn::Module& module);
// Floating-point buffers (BatchNorm running_mean/var) averaged over ranks; integer buffers
// (num_batches_tracked, equal on every rank) are left alone.
void average_buffers(Communicator& communicator, const torch::nn::Module& module);

// The largest |difference| between this rank's tensors and rank 0's (the same on every rank).
double max_difference_from_rank0(Communicator& communicator, const std::vector<at::Tensor>& tensors);
// Throws UserError (subject "distributed") unless every rank holds bitwise the same tensors and the same
// `step`: checks that all ranks resumed from one checkpoint. `what` names the state in the message.
void require_identical(Communicator& communicator, int64_t step, const std::vector<at::Tensor>& tensors,
                       const std::string& what);

}  // namespace latentlab::distributed
