// The procedural teacher's trainer (train/teacher_trainer.h) on a tiny synthetic task: it learns two factors
// (colour, side) far above chance; an interrupted + resumed run equals the uninterrupted one bit for bit
// (weights, optimiser, loss history; across an epoch boundary, with a cosine schedule and clipping); the
// JSONL log follows the schedule; a non-finite loss stops with the term and step and keeps the last good
// checkpoint; bad options are usage errors. Two ranks against one process: tests/integration
// (TrainTeacherCli.TwoRanksEqualOneProcess).
#include <gtest/gtest.h>

#include <limits>
#include <sstream>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <nlohmann/json.hpp>

#include "distributed/communicator.h"
#include "support/expect_user_error.h"
#include "support/procedural_teacher_data.h"
#include "support/test_support.h"
#include "train/checkpoint.h"
#include "train/teacher_trainer.h"

namespace latentlab::train {
namespace {

using testing::synthetic_teacher_data;
using testing::tiny_teacher_config;

models::ProceduralTeacherNet seeded_net(int64_t seed) {
  at::manual_seed(seed);
  return models::ProceduralTeacherNet(tiny_teacher_config());
}

TeacherTrainOptions small_options(const std::string& out, int64_t steps) {
  TeacherTrainOptions o;
  o.steps = steps;
  o.batch_size = 16;
  o.lr = 5e-3;
  o.schedule.kind = "cosine";
  o.schedule.warmup_steps = 2;
  o.schedule.min_ratio = 0.1;
  o.grad_clip = 0.5;
  o.seed = 7;
  o.out = out;
  o.log_every = 1;
  o.validate();
  return o;
}

TEST(TeacherTrainer, LearnsTwoSyntheticFactors) {
  distributed::Communicator single;
  const auto train = synthetic_teacher_data(256, 1), held_out = synthetic_teacher_data(128, 2);
  TeacherTrainOptions o;
  o.steps = 60;
  o.batch_size = 32;
  o.lr = 5e-3;
  o.schedule.warmup_steps = 5;
  o.validate();
  TeacherTrainer trainer(seeded_net(3), train, o, at::kCPU, single);
  const auto summary = trainer.run();
  ASSERT_EQ(summary.losses.size(), 60u);
  EXPECT_LT(summary.losses.back(), summary.losses.front());
  const auto accuracy = models::head_accuracies(trainer.net(), held_out, 64, at::kCPU);
  EXPECT_GE(accuracy[0], 0.9);  // chance 0.25
  EXPECT_GE(accuracy[1], 0.9);  // chance 0.5
}

TEST(TeacherTrainer, InterruptedAndResumedEqualsUninterruptedBitwise) {
  distributed::Communicator single;
  const auto data = synthetic_teacher_data(40, 4);  // 2 steps per epoch: steps 0..5 cross two epoch boundaries
  testing::ScratchDir straight_dir, split_dir;
  TeacherTrainer straight(seeded_net(5), data, small_options(straight_dir.path(), 6), at::kCPU, single);
  const auto want = straight.run();

  {
    TeacherTrainer first(seeded_net(5), data, small_options(split_dir.path(), 6), at::kCPU, single);
    EXPECT_EQ(first.resume(), 0);
    EXPECT_EQ(first.run(3).end_step, 3);  // a checkpoint at the stop
  }
  TeacherTrainer second(seeded_net(99), data, small_options(split_dir.path(), 6), at::kCPU, single);
  EXPECT_EQ(second.resume(), 3);  // the newest checkpoint of OUT/checkpoints
  const auto got = second.run();
  EXPECT_EQ(got.start_step, 3);
  EXPECT_EQ(got.losses, want.losses);  // the history travels in the checkpoint
  const auto a = straight.net()->parameters(), b = second.net()->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(at::equal(a[i], b[i])) << "parameter " << i;

  // The log reads like one run: steps 1..6 once each, with the schedule's learning rate.
  std::vector<std::string> lines;
  std::istringstream log(testing::read_text(split_dir.file("log.jsonl")));
  for (std::string line; std::getline(log, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 6u);
  const auto o = small_options("", 6);
  for (int64_t step = 1; step <= 6; ++step) {
    const auto record = nlohmann::json::parse(lines[step - 1]);
    EXPECT_EQ(record["step"], step);
    EXPECT_DOUBLE_EQ(record["lr"].get<double>(), o.schedule.learning_rate(o.lr, step - 1));
    EXPECT_DOUBLE_EQ(record["total"].get<double>(), want.losses[step - 1]);
    EXPECT_TRUE(record.contains("ce_colour") && record.contains("ce_side") && record.contains("grad_norm"));
  }
}

TEST(TeacherTrainer, NonFiniteLossStopsAndKeepsTheLastGoodCheckpoint) {
  distributed::Communicator single;
  const auto data = synthetic_teacher_data(32, 4);
  testing::ScratchDir dir;
  auto o = small_options(dir.path(), 6);
  o.checkpoint_every = 1;
  TeacherTrainer trainer(seeded_net(5), data, o, at::kCPU, single);
  const auto poison_after_step_2 = [&](int64_t step, double) {
    if (step != 2) return;
    at::NoGradGuard no_grad;
    for (auto& p : trainer.net()->named_parameters())
      if (p.key().rfind("heads.0.", 0) == 0) p.value().fill_(std::numeric_limits<float>::quiet_NaN());
  };
  const auto problem = testing::problem_of([&] { trainer.run(0, poison_after_step_2); }, "loss");
  EXPECT_CONTAINS(problem, "'ce_colour'");
  EXPECT_CONTAINS(problem, "step 3");
  EXPECT_CONTAINS(problem, "step-0000002.safetensors");
  EXPECT_EQ(*latest_checkpoint(dir.file("checkpoints")), checkpoint_path(dir.file("checkpoints"), 2));
}

TEST(TeacherTrainer, BadOptionsAndCheckpointsAreOneLine) {
  const auto with = [](auto change) {
    TeacherTrainOptions o;
    change(o);
    o.validate();
  };
  testing::problem_of([&] { with([](auto& o) { o.steps = 0; }); }, "--steps");
  testing::problem_of([&] { with([](auto& o) { o.grad_clip = -1; }); }, "--grad-clip");
  testing::problem_of([&] { with([](auto& o) { o.schedule.min_ratio = 2; }); }, "--min-lr-ratio");
  testing::problem_of(
      [&] { with([](auto& o) { o.schedule.kind = "cosine", o.steps = 10, o.schedule.warmup_steps = 10; }); },
      "--warmup");
  testing::problem_of([&] { with([](auto& o) { o.log_every = 0; }); }, "--log-every");

  distributed::Communicator single;
  const auto data = synthetic_teacher_data(32, 4);
  auto too_big = small_options("", 3);
  too_big.batch_size = 33;
  testing::problem_of([&] { TeacherTrainer(seeded_net(1), data, too_big, at::kCPU, single); }, "--batch-size");

  // A checkpoint of another network is refused with its path.
  testing::ScratchDir dir;
  TeacherTrainer(seeded_net(1), data, small_options(dir.path(), 3), at::kCPU, single).run();
  auto wider = tiny_teacher_config();
  wider.width = 16;
  at::manual_seed(1);
  TeacherTrainer other(models::ProceduralTeacherNet(wider), data, small_options(dir.path(), 3), at::kCPU, single);
  EXPECT_CONTAINS(testing::problem_of([&] { other.resume(); }, checkpoint_path(dir.file("checkpoints"), 3)),
                  "another teacher network");
}

}  // namespace
}  // namespace latentlab::train
