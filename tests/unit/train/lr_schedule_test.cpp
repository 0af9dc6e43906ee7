// Learning-rate schedules against their closed forms (lib/train/lr_schedule.h).
#include <gtest/gtest.h>

#include <cmath>

#include "support/expect_user_error.h"
#include "train/lr_schedule.h"

namespace latentlab::train {
namespace {

TEST(LrSchedule, ConstantWithLinearWarmup) {
  LrSchedule s;
  s.warmup_steps = 4;
  EXPECT_DOUBLE_EQ(s.learning_rate(1e-3, 0), 0.25e-3);
  EXPECT_DOUBLE_EQ(s.learning_rate(1e-3, 3), 1e-3);
  EXPECT_DOUBLE_EQ(s.learning_rate(1e-3, 100), 1e-3);
  s.warmup_steps = 0;
  EXPECT_DOUBLE_EQ(s.learning_rate(2.0, 0), 2.0);
}

TEST(LrSchedule, CosineFromBaseToFloor) {
  LrSchedule s;
  s.kind = "cosine";
  s.warmup_steps = 10;
  s.total_steps = 110;
  s.min_ratio = 0.1;
  EXPECT_DOUBLE_EQ(s.learning_rate(1.0, 10), 1.0);                // p = 0
  EXPECT_NEAR(s.learning_rate(1.0, 60), 0.1 + 0.9 * 0.5, 1e-15);  // p = ½: cos = 0
  EXPECT_NEAR(s.learning_rate(1.0, 35), 0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI / 4)), 1e-15);
  EXPECT_NEAR(s.learning_rate(1.0, 110), 0.1, 1e-15);  // p = 1
  EXPECT_NEAR(s.learning_rate(1.0, 500), 0.1, 1e-15);  // clamped
  EXPECT_DOUBLE_EQ(s.learning_rate(1.0, 4), 0.5);      // still warming up
}

TEST(LrSchedule, BadValuesNameTheOption) {
  LrSchedule s;
  s.kind = "linear";
  EXPECT_CONTAINS(testing::problem_of([&] { s.validate(); }, "--lr-schedule"), "constant or cosine");
  s.kind = "cosine";
  s.total_steps = 10;
  s.warmup_steps = 10;
  EXPECT_CONTAINS(testing::problem_of([&] { s.validate(); }, "--warmup-steps"), "below the run length");
  s.warmup_steps = 0;
  s.min_ratio = 1.5;
  testing::problem_of([&] { s.validate(); }, "--min-lr-ratio");
}

}  // namespace
}  // namespace latentlab::train
