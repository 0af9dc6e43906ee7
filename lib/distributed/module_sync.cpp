#include "distributed/module_sync.h"

#include <map>

#include <ATen/ATen.h>
#include <torch/nn/module.h>

#include "core/error.h"
#include "distributed/communicator.h"

namespace latentlab::distributed {

namespace {

// Runs `collective` on one flat buffer per dtype (and device) holding all `tensors`, then copies back.
template <typename Collective>
void coalesced(const std::vector<at::Tensor>& tensors, Collective&& collective) {
  std::map<std::pair<int, std::string>, std::vector<at::Tensor>> groups;
  for (const at::Tensor& t : tensors) groups[{static_cast<int>(t.scalar_type()), t.device().str()}].push_back(t);
  for (auto& [key, group] : groups) {
    std::vector<at::Tensor> flat_parts;
    for (const at::Tensor& t : group) flat_parts.push_back(t.detach().reshape({-1}));
    at::Tensor flat = at::cat(flat_parts);
    collective(flat);
    int64_t offset = 0;
    for (const at::Tensor& t : group) {  // detached: parameters are leaves that require grad
      t.detach().copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
      offset += t.numel();
    }
  }
}

std::vector<at::Tensor> state_of(const torch::nn::Module& module, bool parameters) {
  std::vector<at::Tensor> tensors = parameters ? module.parameters(true) : std::vector<at::Tensor>{};
  for (const at::Tensor& b : module.buffers(true)) tensors.push_back(b);
  return tensors;
}

}  // namespace

void broadcast_tensors(Communicator& communicator, const std::vector<at::Tensor>& tensors) {
  if (!communicator.distributed() || tensors.empty()) return;
  coalesced(tensors, [&](at::Tensor& flat) { communicator.broadcast(flat, 0); });
}

void average_tensors(Communicator& communicator, const std::vector<at::Tensor>& tensors) {
  if (!communicator.distributed() || tensors.empty()) return;
  for (const at::Tensor& t : tensors)
    LATENTLAB_ASSERT(at::isFloatingType(t.scalar_type()), "averaging a {} tensor", c10::toString(t.scalar_type()));
  coalesced(tensors, [&](at::Tensor& flat) {
    communicator.all_reduce(flat);
    flat.div_(communicator.world_size());
  });
}

void broadcast_state(Communicator& communicator, const torch::nn::Module& module) {
  broadcast_tensors(communicator, state_of(module, true));
}

void average_buffers(Communicator& communicator, const torch::nn::Module& module) {
  std::vector<at::Tensor> floating;
  for (const at::Tensor& b : state_of(module, false))
    if (at::isFloatingType(b.scalar_type())) floating.push_back(b);
  average_tensors(communicator, floating);
}

double max_difference_from_rank0(Communicator& communicator, const std::vector<at::Tensor>& tensors) {
  if (!communicator.distributed() || tensors.empty()) return 0;
  std::vector<at::Tensor> copies;
  for (const at::Tensor& t : tensors) copies.push_back(t.detach().clone());
  broadcast_tensors(communicator, copies);
  double largest = 0;
  for (size_t k = 0; k < tensors.size(); ++k) {
    const at::Tensor difference = (copies[k].to(at::kDouble) - tensors[k].detach().to(at::kDouble)).abs();
    if (difference.numel() > 0) largest = std::max(largest, difference.max().item<double>());
  }
  at::Tensor reduced = at::full({1}, largest, at::TensorOptions(at::kDouble).device(communicator.device()));
  communicator.all_reduce(reduced, ReduceOp::Max);
  return reduced.item<double>();
}

void require_identical(Communicator& communicator, int64_t step, const std::vector<at::Tensor>& tensors,
                       const std::string& what) {
  if (!communicator.distributed()) return;
  const auto options = at::TensorOptions(at::kLong).device(communicator.device());
  at::Tensor low = at::full({1}, step, options), high = at::full({1}, step, options);
  communicator.all_reduce(low, ReduceOp::Min);
  communicator.all_reduce(high, ReduceOp::Max);
  if (low.item<int64_t>() != high.item<int64_t>())
    fail("distributed", "rank {}: {}: ranks hold steps {} to {}; every rank must resume from the same checkpoint",
         communicator.rank(), what, low.item<int64_t>(), high.item<int64_t>());
  const double difference = max_difference_from_rank0(communicator, tensors);
  if (difference != 0)
    fail("distributed",
         "rank {}: {}: ranks differ by up to {:g} at step {}; every rank must resume from the same "
         "checkpoint",
         communicator.rank(), what, difference, step);
}

}  // namespace latentlab::distributed
