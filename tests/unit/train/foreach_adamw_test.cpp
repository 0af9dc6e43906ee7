// ForeachAdamW and clip_grad_norm against LibTorch's own AdamW and clip_grad_norm_ (the independent
// expectation): on the CPU the multi-tensor ops loop over the same kernels, so parameters, moments, norms
// and clipped gradients must be bitwise equal; on CUDA (skipped without a device) the foreach kernels may
// round one division differently, so they agree within float32 rounding.
#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <torch/types.h>  // before clip_grad.h, which uses torch::Tensor without including it

#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include "core/compat.h"
#include "support/tensor_compare.h"
#include "train/foreach_adamw.h"
#include "train/grad_clip.h"
#include "train/optimizer_state.h"

namespace latentlab::train {
namespace {

std::vector<at::Tensor> make_parameters(const at::Device& device) {
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(11);
  std::vector<at::Tensor> out;
  for (const auto& shape : std::vector<std::vector<int64_t>>{{7, 5}, {5}, {3, 4, 2}, {9}, {1}})
    out.push_back(at::randn(shape, g).to(device).requires_grad_());
  return out;
}

std::vector<at::Tensor> copies(const std::vector<at::Tensor>& params) {
  std::vector<at::Tensor> out;
  for (const auto& p : params) out.push_back(p.detach().clone().requires_grad_());
  return out;
}

// Two groups with different hyper-parameters; parameter 3 (second group) has no gradient on odd steps, so
// its step count falls behind the others' and ForeachAdamW must batch it apart.
std::vector<torch::optim::OptimizerParamGroup> groups(const std::vector<at::Tensor>& p) {
  std::vector<torch::optim::OptimizerParamGroup> out;
  out.emplace_back(std::vector<at::Tensor>{p[0], p[1], p[2]},
                   std::make_unique<torch::optim::AdamWOptions>(
                       torch::optim::AdamWOptions(3e-2).betas({0.8, 0.95}).eps(1e-6).weight_decay(0.05)));
  out.emplace_back(std::vector<at::Tensor>{p[3], p[4]},
                   std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(1e-2).weight_decay(0)));
  return out;
}

// Gradients of step `step`, the same for every parameter list given the same step.
void set_gradients(std::vector<at::Tensor>& params, int step) {
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(100 + step);
  for (size_t i = 0; i < params.size(); ++i) {
    auto grad = at::randn(params[i].sizes(), g).to(params[i].device());
    params[i].mutable_grad() = (i == 3 && step % 2 == 1) ? at::Tensor() : grad;
  }
}

void run_steps(torch::optim::Optimizer& optimizer, std::vector<at::Tensor>& params, int first, int last) {
  for (int step = first; step < last; ++step) {
    set_gradients(params, step);
    optimizer.step();
  }
}

void expect_bitwise_equal(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(at::equal(a[i], b[i])) << "parameter " << i;
}

TEST(ForeachAdamW, EqualsAdamWBitwiseOnTheCpu) {
  const auto device = at::Device(at::kCPU);
  auto ours = make_parameters(device), theirs = copies(ours);
  ForeachAdamW foreach_adamw(groups(ours));
  torch::optim::AdamW adamw(groups(theirs));
  run_steps(foreach_adamw, ours, 0, 7);
  run_steps(adamw, theirs, 0, 7);
  expect_bitwise_equal(ours, theirs);
  ASSERT_FALSE(at::equal(ours[0], make_parameters(device)[0]));  // the parameters did move
}

TEST(ForeachAdamW, StateIsAdamWsBothWays) {
  // A checkpoint written by either optimiser resumes in the other exactly: the state is AdamW's own.
  const auto device = at::Device(at::kCPU);
  auto reference = make_parameters(device);
  torch::optim::AdamW uninterrupted(groups(reference));
  run_steps(uninterrupted, reference, 0, 6);

  auto first = make_parameters(device);
  ForeachAdamW before(groups(first));
  run_steps(before, first, 0, 3);
  auto resumed = copies(first);
  torch::optim::AdamW after(groups(resumed));
  load_optimizer_state(after, optimizer_state_array(before), "state");
  run_steps(after, resumed, 3, 6);
  expect_bitwise_equal(resumed, reference);

  auto second = make_parameters(device);
  torch::optim::AdamW adamw_before(groups(second));
  run_steps(adamw_before, second, 0, 3);
  auto resumed_foreach = copies(second);
  ForeachAdamW foreach_after(groups(resumed_foreach));
  load_optimizer_state(foreach_after, optimizer_state_array(adamw_before), "state");
  run_steps(foreach_after, resumed_foreach, 3, 6);
  expect_bitwise_equal(resumed_foreach, reference);
}

TEST(ForeachAdamW, AmsgradRunsAdamWsStep) {
  const auto device = at::Device(at::kCPU);
  auto ours = make_parameters(device), theirs = copies(ours);
  ForeachAdamW foreach_adamw(ours, torch::optim::AdamWOptions(1e-2).amsgrad(true));
  torch::optim::AdamW adamw(theirs, torch::optim::AdamWOptions(1e-2).amsgrad(true));
  run_steps(foreach_adamw, ours, 0, 4);
  run_steps(adamw, theirs, 0, 4);
  expect_bitwise_equal(ours, theirs);
}

TEST(ForeachAdamW, ClosureIsEvaluatedWithGradientsOn) {
  auto params = make_parameters(at::Device(at::kCPU));
  ForeachAdamW optimizer(params, torch::optim::AdamWOptions(1e-2));
  bool grad_mode = false;
  const auto loss = optimizer.step([&] {
    grad_mode = at::GradMode::is_enabled();
    optimizer.zero_grad();
    auto l = (params[0] * params[0]).sum();
    l.backward();
    return l;
  });
  EXPECT_TRUE(grad_mode);
  EXPECT_TRUE(loss.defined());
}

TEST(ClipGradNorm, EqualsLibTorchsClipBitwise) {
  for (const double scale : {10.0, 1e-3}) {  // clipped, and left alone (coefficient clamped to 1)
    auto ours = make_parameters(at::Device(at::kCPU)), theirs = copies(ours);
    set_gradients(ours, 1);  // parameter 3 without a gradient
    set_gradients(theirs, 1);
    for (auto* list : {&ours, &theirs})
      for (auto& p : *list)
        if (p.grad().defined()) p.mutable_grad().mul_(scale);
    const at::Tensor norm = clip_grad_norm(ours, 1.0);
    const double their_norm = torch::nn::utils::clip_grad_norm_(theirs, 1.0);
    EXPECT_EQ(norm.item<double>(), their_norm) << "scale " << scale;
    for (size_t i = 0; i < ours.size(); ++i) {
      ASSERT_EQ(ours[i].grad().defined(), theirs[i].grad().defined());
      if (ours[i].grad().defined()) {
        EXPECT_TRUE(at::equal(ours[i].grad(), theirs[i].grad())) << i;
      }
    }
  }
  auto none = make_parameters(at::Device(at::kCPU));
  EXPECT_EQ(clip_grad_norm(none, 1.0).item<double>(), 0.0);
}

TEST(ForeachAdamW, AgreesWithAdamWOnCuda) {
  if (compat::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const auto device = at::Device("cuda:0");
  auto ours = make_parameters(device), theirs = copies(ours);
  ForeachAdamW foreach_adamw(groups(ours));
  torch::optim::AdamW adamw(groups(theirs));
  for (int step = 0; step < 7; ++step) {
    set_gradients(ours, step);
    set_gradients(theirs, step);
    clip_grad_norm(ours, 1.0);
    torch::nn::utils::clip_grad_norm_(theirs, 1.0);
    foreach_adamw.step();
    adamw.step();
  }
  for (size_t i = 0; i < ours.size(); ++i) EXPECT_LT(testing::max_abs_diff(ours[i], theirs[i]), 1e-6) << i;
}

}  // namespace
}  // namespace latentlab::train
