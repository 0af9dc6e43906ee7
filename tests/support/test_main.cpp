// Shared main for every test binary: Debian's LibTorch uses one thread unless told otherwise, and a crash
// prints its stack (a SIGSEGV otherwise reaches ctest as a bare exit code, as on the GPU machine).
#include <execinfo.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <ATen/Parallel.h>
#include <csignal>

#include "core/allocator.h"
#include "core/runtime.h"

namespace {

void print_stack_and_reraise(int signal) {
  void* frames[64];
  const int count = backtrace(frames, 64);
  backtrace_symbols_fd(frames, count, STDERR_FILENO);
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

}  // namespace

int main(int argc, char** argv) {
  latentlab::tune_allocator();  // as the program does (core/allocator.h)
  std::signal(SIGSEGV, print_stack_and_reraise);
  std::signal(SIGBUS, print_stack_and_reraise);
  at::set_num_threads(latentlab::available_cores());
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
