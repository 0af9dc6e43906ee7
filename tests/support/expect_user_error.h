// Assertions on one-line user errors, shared by the reader tests.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "core/error.h"

// EXPECT that `text` contains `fragment`, printing `text` when it does not.
#define EXPECT_CONTAINS(text, fragment) EXPECT_NE((text).find(fragment), std::string::npos) << "got: " << (text)

namespace latentlab::testing {

// Runs `f`, which must throw a UserError whose subject is `subject`; returns its problem text ("" and a
// test failure otherwise).
template <typename F>
std::string problem_of(F&& f, const std::string& subject) {
  try {
    f();
  } catch (const UserError& e) {
    EXPECT_EQ(e.subject(), subject);
    return e.problem();
  }
  ADD_FAILURE() << "no UserError for " << subject;
  return "";
}

}  // namespace latentlab::testing
