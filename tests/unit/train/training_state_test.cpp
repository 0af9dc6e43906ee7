// The generic training services: EMA (closed form), checkpoint files (round trip, latest, pruning), random
// generator and optimiser states (a restored AdamW continues exactly), the JSONL log's resume truncation and
// non-finite detection.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <set>
#include <sstream>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adamw.h>
#include <nlohmann/json.hpp>

#include "io/tensor_convert.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"
#include "train/checkpoint.h"
#include "train/ema.h"
#include "train/finite_check.h"
#include "train/jsonl_log.h"
#include "train/optimizer_state.h"
#include "train/rng_state.h"

namespace latentlab::train {
namespace {

void set_linear(torch::nn::Linear& linear, double weight, double bias) {
  at::NoGradGuard no_grad;
  linear->weight.fill_(weight);
  linear->bias.fill_(bias);
}

TEST(Ema, FollowsTheClosedForm) {
  torch::nn::Linear linear(2, 1);
  set_linear(linear, 1.0, 0.0);
  Ema ema(*linear, 0.9);
  set_linear(linear, 2.0, 1.0);
  ema.update(*linear);  // 0.9·1 + 0.1·2 = 1.1; bias 0.1
  set_linear(linear, 3.0, 1.0);
  ema.update(*linear);  // 0.9·1.1 + 0.1·3 = 1.29; bias 0.9·0.1 + 0.1 = 0.19
  torch::nn::Linear copy(2, 1);
  ema.copy_to(*copy);
  EXPECT_NEAR(copy->weight[0][0].item<double>(), 1.29, 1e-6);
  EXPECT_NEAR(copy->bias[0].item<double>(), 0.19, 1e-6);
  testing::problem_of([&] { Ema(*linear, 1.0); }, "--ema");
}

TEST(Checkpoint, RoundTripLatestAndPruning) {
  testing::ScratchDir dir;
  const std::string ckpt = dir.file("ckpt");
  EXPECT_FALSE(latest_checkpoint(ckpt));
  for (int64_t step : {5, 10, 15}) {
    Checkpoint c;
    c.step = step;
    c.state = {{"position", step * 2}};
    c.tensors.emplace_back("model.w", io::to_array(at::full({2}, static_cast<float>(step))));
    write_checkpoint(ckpt, c, 2);
  }
  EXPECT_FALSE(std::filesystem::exists(checkpoint_path(ckpt, 5)));  // pruned: keep 2
  const auto latest = latest_checkpoint(ckpt);
  ASSERT_TRUE(latest);
  EXPECT_EQ(*latest, checkpoint_path(ckpt, 15));
  const Checkpoint back = read_checkpoint(*latest);
  EXPECT_EQ(back.step, 15);
  EXPECT_EQ(back.state["position"], 30);
  const auto model = select_prefixed(back.tensors, "model.");
  ASSERT_EQ(model.size(), 1u);
  EXPECT_EQ(model[0].first, "w");
  EXPECT_EQ(io::to_tensor(model[0].second)[1].item<float>(), 15.0f);
  testing::problem_of([&] { find_array(back.tensors, "missing", "ck"); }, "ck");
  // Only the two kept checkpoints remain: no temporary files of the atomic writes.
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(ckpt)) names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"step-0000010.safetensors", "step-0000015.safetensors"}));
}

TEST(RngState, RestoredGeneratorsRepeatTheirDraws) {
  at::Generator own = at::detail::createCPUGenerator(7);
  at::manual_seed(3);
  at::randn({3});
  at::randn({3}, own);
  const auto saved = capture_rng_states({{"train", own}});
  const at::Tensor global_a = at::randn({4}), own_a = at::randn({4}, own);
  at::randn({9});
  at::randn({9}, own);
  restore_rng_states(saved, {{"train", own}}, "ck");
  EXPECT_TRUE(at::equal(at::randn({4}), global_a));
  EXPECT_TRUE(at::equal(at::randn({4}, own), own_a));
  EXPECT_CONTAINS(testing::problem_of([&] { restore_rng_states(saved, {{"other", own}}, "ck"); }, "ck"), "'other'");
}

TEST(OptimizerState, RestoredAdamWContinuesExactly) {
  const auto make = [] {
    at::manual_seed(0);
    return torch::nn::Linear(3, 2);
  };
  const at::Tensor x = at::arange(6, at::kFloat).view({2, 3}) / 6;
  const auto train = [&](torch::nn::Linear& m, torch::optim::AdamW& opt, int steps) {
    for (int i = 0; i < steps; ++i) {
      opt.zero_grad();
      m->forward(x).pow(2).sum().backward();
      opt.step();
    }
  };
  auto a = make();
  torch::optim::AdamW opt_a(a->parameters(), torch::optim::AdamWOptions(0.1).weight_decay(0.01));
  train(a, opt_a, 3);
  const io::Array state = optimizer_state_array(opt_a);
  auto b = make();
  {
    at::NoGradGuard no_grad;
    b->weight.copy_(a->weight);
    b->bias.copy_(a->bias);
  }
  torch::optim::AdamW opt_b(b->parameters(), torch::optim::AdamWOptions(0.1).weight_decay(0.01));
  load_optimizer_state(opt_b, state, "ck");
  train(a, opt_a, 2);
  train(b, opt_b, 2);
  EXPECT_TRUE(at::equal(a->weight, b->weight));
  EXPECT_TRUE(at::equal(a->bias, b->bias));
  const io::Array junk = io::to_array(at::zeros({4}, at::kByte));
  testing::problem_of([&] { load_optimizer_state(opt_b, junk, "ck"); }, "ck");
}

TEST(JsonlLog, ResumeDropsTheRecordsItRedoes) {
  testing::ScratchDir dir;
  const std::string path = dir.file("log.jsonl");
  {
    JsonlLog log(path);
    for (int step : {1, 2, 3, 4}) log.write({{"step", step}, {"loss", 0.5}});
  }
  {
    JsonlLog log(path, 2);
    log.write({{"step", 3}, {"loss", 0.25}});
  }
  std::istringstream lines(testing::read_text(path));
  std::vector<int> steps;
  for (std::string line; std::getline(lines, line);) steps.push_back(nlohmann::json::parse(line)["step"]);
  EXPECT_EQ(steps, (std::vector<int>{1, 2, 3}));
}

TEST(FiniteCheck, NamesTheFirstBadTerm) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(first_non_finite({{"a", 1.0}, {"b", -2.0}}));
  EXPECT_EQ(first_non_finite({{"a", 1.0}, {"b", inf}, {"c", nan}})->first, "b");
  const auto problem = testing::problem_of(
      [&] {
        check_finite({{"kl", 0.1}, {"align", nan}}, 17, "ck/step-16");
      },
      "loss");
  EXPECT_CONTAINS(problem, "'align'");
  EXPECT_CONTAINS(problem, "step 17");
  EXPECT_CONTAINS(problem, "ck/step-16");
}

}  // namespace
}  // namespace latentlab::train
