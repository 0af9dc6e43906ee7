// The inputs of the metrics end-to-end tests (tests/support/make_metrics_inputs.py: seeded random
// FID-Inception weights inception.pth, PNG folders a/ and b/, the statistics file a.npz): the folder the ctest
// fixture MetricsCliInputs made (LATENTLAB_METRICS_INPUTS, tests/CMakeLists.txt), or, when a test binary runs
// by hand, a folder made now inside `scratch`. For tests/integration only (it runs the latentlab binary).
#pragma once

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace latentlab::testing {

inline std::string metrics_inputs(const ScratchDir& scratch) {
  if (const char* shared = std::getenv("LATENTLAB_METRICS_INPUTS")) return shared;
  const std::string dir = scratch.file("metrics_inputs");
  const auto r = run_command(std::string(LATENTLAB_REFERENCE_PYTHON) + " " + LATENTLAB_SOURCE_DIR +
                             "/tests/support/make_metrics_inputs.py " + dir + " " + LATENTLAB_BINARY);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return dir;
}

}  // namespace latentlab::testing
