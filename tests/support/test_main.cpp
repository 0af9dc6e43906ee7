// Shared main for every test binary: Debian's LibTorch uses one thread unless told otherwise.
#include <gtest/gtest.h>

#include <ATen/Parallel.h>

#include "core/runtime.h"

int main(int argc, char** argv) {
  at::set_num_threads(latentlab::available_cores());
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
