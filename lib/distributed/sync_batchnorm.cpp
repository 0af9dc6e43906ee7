#include "distributed/sync_batchnorm.h"

#include <cstdint>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <c10/util/StringUtil.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/nn/modules/batchnorm.h>

#include "core/error.h"
#include "distributed/communicator.h"

namespace latentlab::distributed {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Every dimension but the channel dimension 1.
std::vector<int64_t> reduced_dims(const at::Tensor& x) {
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  return dims;
}

// A per-channel vector shaped to broadcast against N×C×….
at::Tensor per_channel(const at::Tensor& v, const at::Tensor& like) {
  std::vector<int64_t> shape(like.dim(), 1);
  shape[1] = v.size(0);
  return v.to(like.device(), like.scalar_type()).view(shape);
}

// Half and bfloat16 inputs are normalised in float, as torch's BatchNorm kernels do.
at::ScalarType compute_type(const at::Tensor& x) {
  return x.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
}

struct GlobalMoments {
  double count = 0;
  at::Tensor mean, variance;  // float64 C; the variance biased (divided by count)
};

// Each rank writes (count, mean, centred sum of squares) into its own row; one all-reduce gives every rank
// every row, merged in rank order (Chan, Golub & LeVeque) so that all ranks get bitwise equal moments.
GlobalMoments global_moments(Communicator& communicator, const at::Tensor& x) {
  const int64_t channels = x.size(1);
  const auto dims = reduced_dims(x);
  const at::Tensor values = x.detach().to(at::kDouble);
  const at::Tensor mean = values.mean(dims);
  const at::Tensor m2 = (values - per_channel(mean, values)).square().sum(dims);
  at::Tensor rows = at::zeros({communicator.world_size(), 2 * channels + 1}, values.options());
  at::Tensor own = rows[communicator.rank()];
  own[0].fill_(static_cast<double>(x.numel() / channels));
  own.narrow(0, 1, channels).copy_(mean);
  own.narrow(0, 1 + channels, channels).copy_(m2);
  communicator.all_reduce(rows);
  rows = rows.cpu();

  GlobalMoments g;
  g.mean = at::zeros({channels}, at::kDouble);
  at::Tensor total_m2 = at::zeros({channels}, at::kDouble);
  for (int64_t r = 0; r < rows.size(0); ++r) {
    const double n = rows[r][0].item<double>();
    if (n == 0) continue;
    const double merged = g.count + n;
    const at::Tensor delta = rows[r].narrow(0, 1, channels) - g.mean;
    g.mean = g.mean + delta * (n / merged);
    total_m2 = total_m2 + rows[r].narrow(0, 1 + channels, channels) + delta.square() * (g.count * n / merged);
    g.count = merged;
  }
  g.variance = total_m2 / g.count;
  return g;
}

struct SyncBatchNormFunction : torch::autograd::Function<SyncBatchNormFunction> {
  // mean and invstd: the global statistics (constants here; backward accounts for their dependence on x).
  // weight and bias: C, or empty without affine (autograd's Function takes no undefined tensor inputs).
  static variable_list forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& weight,
                               const at::Tensor& bias, const at::Tensor& mean, const at::Tensor& invstd, double count,
                               Communicator* communicator) {
    const at::Tensor xc = x.to(compute_type(x));
    at::Tensor y = (xc - per_channel(mean, xc)) * per_channel(invstd, xc);
    if (weight.numel() > 0) y = y * per_channel(weight, xc);
    if (bias.numel() > 0) y = y + per_channel(bias, xc);
    ctx->save_for_backward({x, weight, mean, invstd});
    ctx->saved_data["count"] = count;
    // IValue holds no raw pointer; the communicator outlives the graph (the trainer owns both).
    ctx->saved_data["communicator"] = static_cast<int64_t>(reinterpret_cast<intptr_t>(communicator));
    return {y.to(x.scalar_type())};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &weight = saved[1], &mean = saved[2], &invstd = saved[3];
    const bool affine = weight.numel() > 0;
    const double count = ctx->saved_data["count"].toDouble();
    auto* communicator =
        reinterpret_cast<Communicator*>(static_cast<intptr_t>(ctx->saved_data["communicator"].toInt()));
    const at::Tensor dy = grads[0].to(compute_type(x));
    const at::Tensor xmu = x.to(dy.scalar_type()) - per_channel(mean, dy);
    const at::Tensor s = invstd.to(dy.scalar_type());
    const auto dims = reduced_dims(dy);
    // This rank's sums: they are the weight and bias gradients as they are, and all-reduced the part of the
    // input gradient that flows through the global mean and variance.
    const at::Tensor sum_dy = dy.sum(dims), sum_dy_xmu = (dy * xmu).sum(dims);
    at::Tensor grad_x, grad_weight, grad_bias;
    if (ctx->needs_input_grad(0)) {
      const int64_t channels = s.size(0);
      at::Tensor sums = at::cat({sum_dy, sum_dy_xmu}).to(at::kDouble).contiguous();
      communicator->all_reduce(sums);
      const at::Tensor mean_dy = sums.narrow(0, 0, channels) / count;
      const at::Tensor mean_dy_xmu = sums.narrow(0, channels, channels) / count;
      const at::Tensor scale = affine ? s * weight.to(s.scalar_type()) : s;
      grad_x = (dy - per_channel(mean_dy, dy) - xmu * per_channel(s.square() * mean_dy_xmu.to(s.scalar_type()), dy)) *
               per_channel(scale, dy);
      grad_x = grad_x.to(x.scalar_type());
    }
    if (affine && ctx->needs_input_grad(1)) grad_weight = (sum_dy_xmu * s).to(weight.scalar_type());
    if (affine && ctx->needs_input_grad(2)) grad_bias = sum_dy.to(weight.scalar_type());
    return {grad_x, grad_weight, grad_bias, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor sync_batch_norm(Communicator& communicator, const at::Tensor& x, const at::Tensor& weight,
                           const at::Tensor& bias, const at::Tensor& running_mean, const at::Tensor& running_var,
                           double factor, double eps) {
  LATENTLAB_ASSERT(x.dim() >= 2 && x.size(1) > 0, "sync_batch_norm input {}", c10::str(x.sizes()));
  const GlobalMoments g = global_moments(communicator, x);
  if (g.count < 2)
    fail("sync-batchnorm", "expected more than 1 value per channel over all {} ranks, got input {} on rank {}",
         communicator.world_size(), c10::str(x.sizes()), communicator.rank());
  if (running_mean.defined()) {  // torch's update: momentum·batch + (1 − momentum)·running, variance unbiased
    at::NoGradGuard no_grad;
    const at::Tensor unbiased = g.variance * (g.count / (g.count - 1));
    running_mean.copy_(g.mean * factor + running_mean.to(at::kCPU, at::kDouble) * (1 - factor));
    running_var.copy_(unbiased * factor + running_var.to(at::kCPU, at::kDouble) * (1 - factor));
  }
  const at::Tensor invstd = (g.variance + eps).rsqrt();
  const at::Tensor none = at::empty({0}, x.options());
  return SyncBatchNormFunction::apply(x, weight.defined() ? weight : none, bias.defined() ? bias : none, g.mean, invstd,
                                      g.count, &communicator)[0];
}

at::Tensor sync_batch_norm(Communicator& communicator, torch::nn::BatchNorm2dImpl& norm, const at::Tensor& x) {
  if (!norm.is_training()) return norm.forward(x);
  const auto& options = norm.options;
  const bool tracking = options.track_running_stats();
  double factor = 0;
  if (tracking) {  // as BatchNormImplBase::forward counts
    norm.num_batches_tracked += 1;
    factor = options.momentum().has_value() ? *options.momentum() : 1.0 / norm.num_batches_tracked.item<double>();
  }
  return sync_batch_norm(communicator, x, options.affine() ? norm.weight : at::Tensor(),
                         options.affine() ? norm.bias : at::Tensor(), tracking ? norm.running_mean : at::Tensor(),
                         tracking ? norm.running_var : at::Tensor(), factor, options.eps());
}

}  // namespace latentlab::distributed
