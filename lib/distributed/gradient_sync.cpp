#include "distributed/gradient_sync.h"

#include <mutex>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/autograd/variable.h>

#include "core/error.h"
#include "distributed/communicator.h"

namespace latentlab::distributed {

struct GradientSync::Impl {
  // Nested, not in an anonymous namespace: Impl has external linkage, and in a unity build (where this file
  // is included) GCC warns about a member whose type has internal linkage (-Wsubobject-linkage).
  struct Bucket {
    std::vector<size_t> members;   // indices into parameters
    std::vector<int64_t> offsets;  // element offset of each member in `flat`
    at::Tensor flat;
    size_t pending = 0;  // members whose gradient has not arrived in this backward
    bool launched = false;
    Pending reduce;
  };

  Communicator& communicator;
  GradientSyncOptions options;
  std::vector<at::Tensor> parameters;
  std::vector<size_t> bucket_of;  // parameter -> bucket
  std::vector<Bucket> buckets;
  // The hooks live on the accumulators; autograd keeps only weak references to them, so we hold them.
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators;
  std::vector<uintptr_t> hook_keys;

  std::mutex mutex;  // hooks may run on autograd's device threads
  bool armed = false;
  std::vector<bool> arrived;
  size_t next_to_launch = 0;
  size_t launched_in_backward = 0;
  size_t last_launched_in_backward = 0;
  std::exception_ptr hook_error;

  Impl(Communicator& c, GradientSyncOptions o) : communicator(c), options(o) {}

  void build_buckets() {
    bucket_of.assign(parameters.size(), 0);
    for (size_t k = parameters.size(); k-- > 0;) {  // reverse: the order backward reaches them
      const at::Tensor& p = parameters[k];
      const int64_t bytes = p.numel() * static_cast<int64_t>(p.element_size());
      bool fresh = buckets.empty();
      if (!fresh) {
        const Bucket& last = buckets.back();
        const at::Tensor& first = parameters[last.members.front()];
        const int64_t used = (last.offsets.back() + parameters[last.members.back()].numel()) *
                             static_cast<int64_t>(first.element_size());
        fresh = first.scalar_type() != p.scalar_type() || first.device() != p.device() ||
                used + bytes > options.bucket_bytes;
      }
      if (fresh) buckets.emplace_back();
      Bucket& bucket = buckets.back();
      const int64_t offset =
          bucket.members.empty() ? 0 : bucket.offsets.back() + parameters[bucket.members.back()].numel();
      bucket.members.push_back(k);
      bucket.offsets.push_back(offset);
      bucket_of[k] = buckets.size() - 1;
    }
    for (Bucket& bucket : buckets) {
      const at::Tensor& last = parameters[bucket.members.back()];
      bucket.flat = at::zeros({bucket.offsets.back() + last.numel()}, last.options());
    }
  }

  void reset_step() {
    arrived.assign(parameters.size(), false);
    for (Bucket& bucket : buckets) {
      bucket.pending = bucket.members.size();
      bucket.launched = false;
    }
    next_to_launch = 0;
    launched_in_backward = 0;
  }

  // Copies the bucket's gradients into its flat buffer, pre-divided by the world size, and starts the sum.
  void launch(Bucket& bucket) {
    const double world = communicator.world_size();
    for (size_t m = 0; m < bucket.members.size(); ++m) {
      const at::Tensor& grad = parameters[bucket.members[m]].grad();
      at::Tensor slot = bucket.flat.narrow(0, bucket.offsets[m], parameters[bucket.members[m]].numel());
      if (grad.defined())
        slot.copy_(grad.reshape({-1}));
      else
        slot.zero_();
    }
    bucket.flat.div_(world);
    bucket.reduce = communicator.all_reduce_async(bucket.flat);
    bucket.launched = true;
  }

  // Launches complete buckets in index order, so every rank issues the same sequence of collectives.
  void launch_ready(bool in_backward) {
    while (next_to_launch < buckets.size() && buckets[next_to_launch].pending == 0) {
      launch(buckets[next_to_launch]);
      ++next_to_launch;
      if (in_backward) ++launched_in_backward;
    }
  }

  void on_gradient(size_t k) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!armed || arrived[k]) return;
    arrived[k] = true;
    --buckets[bucket_of[k]].pending;
    try {
      launch_ready(true);
    } catch (...) {  // never throw through autograd; finish() reports it
      if (!hook_error) hook_error = std::current_exception();
      armed = false;
    }
  }
};

GradientSync::GradientSync(Communicator& communicator, const std::vector<at::Tensor>& parameters,
                           GradientSyncOptions options)
    : impl_(std::make_shared<Impl>(communicator, options)) {
  if (options.bucket_bytes <= 0) fail_usage("bucket bytes", "{} is not positive", options.bucket_bytes);
  for (const at::Tensor& p : parameters)
    if (p.requires_grad()) impl_->parameters.push_back(p);
  if (!communicator.distributed()) return;
  impl_->build_buckets();
  impl_->reset_step();
  if (!options.overlap) return;
  for (size_t k = 0; k < impl_->parameters.size(); ++k) {
    auto accumulator = torch::autograd::impl::grad_accumulator(impl_->parameters[k]);
    LATENTLAB_ASSERT(accumulator, "parameter {} is not a leaf that accumulates gradients", k);
    std::weak_ptr<Impl> weak = impl_;
    impl_->hook_keys.push_back(accumulator->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
        [weak, k](const torch::autograd::variable_list& outputs, const torch::autograd::variable_list&) {
          if (auto impl = weak.lock()) impl->on_gradient(k);
          return outputs;
        })));
    impl_->accumulators.push_back(std::move(accumulator));
  }
}

GradientSync::~GradientSync() {
  for (size_t k = 0; k < impl_->accumulators.size(); ++k) impl_->accumulators[k]->del_post_hook(impl_->hook_keys[k]);
}

void GradientSync::prepare() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  if (!impl_->communicator.distributed() || !impl_->options.overlap) return;
  impl_->reset_step();
  impl_->armed = true;
}

void GradientSync::finish() {
  Impl& impl = *impl_;
  if (!impl.communicator.distributed()) return;
  {
    std::lock_guard<std::mutex> lock(impl.mutex);
    impl.armed = false;
    if (impl.hook_error) std::rethrow_exception(std::exchange(impl.hook_error, nullptr));
    impl.last_launched_in_backward = impl.launched_in_backward;
    for (Impl::Bucket& bucket : impl.buckets) bucket.pending = 0;  // a missing gradient counts as zero
    impl.launch_ready(false);
  }
  for (Impl::Bucket& bucket : impl.buckets) {
    bucket.reduce.wait();
    for (size_t m = 0; m < bucket.members.size(); ++m) {
      at::Tensor& parameter = impl.parameters[bucket.members[m]];
      at::Tensor mean = bucket.flat.narrow(0, bucket.offsets[m], parameter.numel()).view(parameter.sizes());
      if (parameter.grad().defined())
        parameter.mutable_grad().copy_(mean);
      else
        parameter.mutable_grad() = mean.clone();
    }
  }
  impl.reset_step();
}

size_t GradientSync::bucket_count() const {
  return impl_->buckets.size();
}
size_t GradientSync::launched_during_backward() const {
  return impl_->last_launched_in_backward;
}

}  // namespace latentlab::distributed
