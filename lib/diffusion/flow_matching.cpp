#include "diffusion/flow_matching.h"

#include <ATen/ATen.h>

#include "core/error.h"

namespace latentlab::diffusion {
namespace {

// t (N) shaped to broadcast over x (N×…).
at::Tensor per_sample(const at::Tensor& t, const at::Tensor& x) {
  std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
  shape[0] = x.size(0);
  return t.to(x.device(), x.scalar_type()).reshape(shape);
}

}  // namespace

const std::vector<std::string>& TimeSampling::kinds() {
  static const std::vector<std::string> list = {"uniform", "lognormal"};
  return list;
}

void TimeSampling::validate(const std::string& subject) const {
  if (kind != "uniform" && kind != "lognormal")
    fail_usage(subject, "unknown time sampling '{}' (known: uniform, lognormal)", kind);
  if (kind == "lognormal" && !(stddev > 0.0)) fail_usage(subject, "lognormal stddev must be > 0, got {}", stddev);
}

at::Tensor sample_times(int64_t n, const TimeSampling& sampling, at::Generator generator) {
  sampling.validate("time sampling");
  if (sampling.kind == "uniform") return at::rand({n}, generator, at::kFloat);
  return at::sigmoid(at::randn({n}, generator, at::kFloat) * sampling.stddev + sampling.mean);
}

at::Tensor interpolate(const at::Tensor& x, const at::Tensor& noise, const at::Tensor& t) {
  const at::Tensor tt = per_sample(t, x);
  return (1 - tt) * x + tt * noise;
}

at::Tensor velocity_target(const at::Tensor& x, const at::Tensor& noise) {
  return noise - x;
}

FlowMatchingBatch make_flow_matching_batch(const at::Tensor& x, const TimeSampling& sampling, at::Generator generator) {
  FlowMatchingBatch b;
  b.t = sample_times(x.size(0), sampling, generator);
  b.noise = at::randn(x.sizes(), generator, at::TensorOptions().dtype(x.scalar_type())).to(x.device());
  b.x_t = interpolate(x, b.noise, b.t);
  b.target = velocity_target(x, b.noise);
  b.t = b.t.to(x.device());
  return b;
}

at::Tensor flow_matching_loss(const at::Tensor& prediction, const at::Tensor& target) {
  return (prediction - target).pow(2).mean();
}

}  // namespace latentlab::diffusion
