#include "core/error.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace latentlab {
namespace {

TEST(Error, UserErrorCarriesSubjectProblemAndExitCode) {
  try {
    fail("weights.pth", "tensor '{}' is truncated", "w");
  } catch (const UserError& e) {
    EXPECT_EQ(e.subject(), "weights.pth");
    EXPECT_EQ(e.problem(), "tensor 'w' is truncated");
    EXPECT_STREQ(e.what(), "weights.pth: tensor 'w' is truncated");
    EXPECT_EQ(e.exit_code(), 1);
  }
  try {
    fail_usage("--device", "bad");
  } catch (const UserError& e) {
    EXPECT_EQ(e.exit_code(), 2);
  }
}

TEST(Error, CheckedArithmeticThrowsOnOverflow) {
  EXPECT_EQ(checked_mul(1ull << 31, 1ull << 31, "f"), 1ull << 62);
  EXPECT_THROW(checked_mul(1ull << 32, 1ull << 32, "f"), UserError);
  EXPECT_THROW(checked_add(UINT64_MAX, 1, "f"), UserError);
}

TEST(Error, AssertReportsFileAndLine) {
  try {
    LATENTLAB_ASSERT(1 == 2, "value {}", 3);
    FAIL();
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("error_test.cpp"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("value 3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace latentlab
