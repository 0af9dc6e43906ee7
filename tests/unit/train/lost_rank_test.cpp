// train/lost_rank.h without a job: StepRecovery puts back what a step changed before its optimiser step
// (a generator's draws, a buffer) and refuses in a half-done step; stop_after_lost_rank's line and when rank 0
// (here the single-process communicator, rank 0) saves. The two-rank path, a killed rank and the resume
// from its checkpoint, is tested end to end in tests/integration/shard_train_vae_cli_test.cpp.
#include <gtest/gtest.h>

#include <stdexcept>

#include <ATen/ATen.h>

#include "distributed/communicator.h"
#include "support/expect_user_error.h"
#include "train/checkpoint.h"
#include "train/lost_rank.h"

namespace latentlab::train {
namespace {

TEST(StepRecovery, UndoesTheDrawsAndBuffersOfAStepThatHasNotStepped) {
  at::Generator gen = at::detail::createCPUGenerator(7);
  at::Tensor running_mean = at::zeros({3});
  StepRecovery recovery({{"train", gen}}, {running_mean});
  at::randn({4}, gen);  // an earlier step's draws
  recovery.begin(5);
  const at::Tensor draw = at::randn({4}, gen);
  running_mean.add_(1.0);
  ASSERT_TRUE(recovery.can_undo(5));
  ASSERT_TRUE(recovery.undo(5));
  EXPECT_TRUE(at::equal(at::randn({4}, gen), draw)) << "the generator is back where step 5 began";
  EXPECT_TRUE(at::equal(running_mean, at::zeros({3})));

  recovery.begin(5);
  running_mean.add_(1.0);
  recovery.stepped();  // the optimiser stepped: step 5 is half done until the count moves
  EXPECT_FALSE(recovery.can_undo(5));
  EXPECT_FALSE(recovery.undo(5));
  EXPECT_TRUE(at::equal(running_mean, at::ones({3}))) << "nothing is put back in a half-done step";
  EXPECT_TRUE(recovery.undo(6)) << "step 5 ended: the state is a completed step's";
  EXPECT_TRUE(at::equal(running_mean, at::ones({3})));
}

TEST(StepRecovery, UntrackedIsAlwaysBetweenSteps) {
  StepRecovery recovery;
  EXPECT_TRUE(recovery.undo(3));
  recovery.begin(3);
  EXPECT_TRUE(recovery.undo(3));
  recovery.stepped();
  EXPECT_FALSE(recovery.undo(3));
}

const distributed::RankLost kLost("distributed",
                                  "rank 0 of 2: all-reduce failed (closed): another rank stopped or "
                                  "did not answer within 10 s; stopping");

// The line stop_after_lost_rank throws (checked to be a RankLost about "distributed").
std::string line_of(StepRecovery* recovery, int64_t step, const std::string& last,
                    const std::function<std::string()>& save) {
  distributed::Communicator single;
  try {
    stop_after_lost_rank(kLost, single, recovery, step, "out/checkpoints", last, save);
  } catch (const distributed::RankLost& e) {
    EXPECT_EQ(e.subject(), "distributed");
    EXPECT_EQ(e.problem().rfind(kLost.problem() + "; ", 0), 0u) << e.problem();
    return e.problem().substr(kLost.problem().size() + 2);
  }
  ADD_FAILURE() << "no RankLost";
  return "";
}

TEST(StopAfterLostRank, Rank0SavesTheLastCompletedStepOnly) {
  int saves = 0;
  const auto save = [&] {
    ++saves;
    return checkpoint_path("out/checkpoints", 3);
  };
  const std::string two = checkpoint_path("out/checkpoints", 2), three = checkpoint_path("out/checkpoints", 3);
  EXPECT_EQ(line_of(nullptr, 3, two, save),
            "resume from out/checkpoints/step-0000003.safetensors (step 3, the last completed one, saved now)");
  EXPECT_EQ(saves, 1);

  StepRecovery recovery;
  recovery.begin(3);
  recovery.stepped();
  EXPECT_EQ(line_of(&recovery, 3, two, save),
            "step 4 was half done; resume from out/checkpoints/step-0000002.safetensors");
  EXPECT_EQ(line_of(&recovery, 3, "", save), "step 4 was half done; there is no checkpoint to resume from");
  EXPECT_EQ(line_of(nullptr, 3, three, save),
            "resume from out/checkpoints/step-0000003.safetensors (step 3, the last completed one)");
  EXPECT_EQ(line_of(nullptr, 0, "", save), "no step was completed; there is no checkpoint to resume from");
  EXPECT_EQ(line_of(nullptr, 3, two, nullptr), "resume from out/checkpoints/step-0000002.safetensors");
  EXPECT_EQ(saves, 1) << "none of these saved";

  const auto failing = []() -> std::string { throw std::runtime_error("disk full"); };
  EXPECT_EQ(line_of(nullptr, 3, two, failing),
            "saving step 3 failed (disk full); resume from out/checkpoints/step-0000002.safetensors");
}

}  // namespace
}  // namespace latentlab::train
