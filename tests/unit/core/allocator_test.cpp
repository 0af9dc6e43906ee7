#include "core/allocator.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>
#include <thread>

namespace latentlab {
namespace {

long minor_faults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// Allocates `bytes`, writes one byte per page (volatile: the compiler may not drop the block), frees;
// returns the page faults that took.
long faults_of_a_touched_block(size_t bytes) {
  const long before = minor_faults();
  auto* block = static_cast<volatile char*>(std::malloc(bytes));
  for (size_t i = 0; i < bytes; i += 4096) block[i] = 1;
  std::free(const_cast<char*>(block));
  return minor_faults() - before;
}

// The test main calls tune_allocator() as the program does. A 64 MiB block (above glibc's largest mmap
// threshold, 32 MiB) is then served from the heap and reused after free: the second round of allocate, touch,
// free faults on almost none of its 16,384 pages; with glibc's defaults every round maps and faults them all.
TEST(Allocator, LargeBlocksAreReusedWithoutNewPageFaults) {
  const std::string how = allocator_description();
#if defined(__GLIBC__)
  if (how.find("kept") == std::string::npos) GTEST_SKIP() << "allocator left as the environment asks: " << how;
  constexpr size_t kBytes = size_t(64) << 20;
  faults_of_a_touched_block(kBytes);  // the heap grows once
  const long again = faults_of_a_touched_block(kBytes);
  EXPECT_LT(again, 16384 / 20) << how;
#else
  EXPECT_NE(how.find("not glibc"), std::string::npos) << how;
#endif
}

// Data-loader and OpenMP threads allocate from glibc's per-thread arenas, whose heaps are 64 MiB mappings:
// with mmap off, a block that fits one (here 32 MiB) is reused after free as on the main thread. (A larger
// block in such a thread is still mapped and unmapped each time: glibc maps it whatever M_MMAP_MAX says;
// docs/benchmarks.md, "Allocator".)
TEST(Allocator, WorkerThreadBlocksUnder64MiBAreReused) {
  const std::string how = allocator_description();
#if defined(__GLIBC__)
  if (how.find("kept") == std::string::npos) GTEST_SKIP() << "allocator left as the environment asks: " << how;
  constexpr size_t kBytes = size_t(32) << 20;
  long again = -1;
  std::thread worker([&] {
    faults_of_a_touched_block(kBytes);  // the thread's arena grows once
    again = faults_of_a_touched_block(kBytes);
  });
  worker.join();
  EXPECT_LT(again, 8192 / 20) << how;
#else
  EXPECT_NE(how.find("not glibc"), std::string::npos) << how;
#endif
}

// release_free_memory() gives back what the tuned allocator keeps: a 64 MiB block freed on the main thread
// (kept at the top of the heap, as above; `metrics` runs its extractor there) faults on every page again when
// it is reused after the release. (The free top of a worker thread's heap is not released: glibc's
// malloc_trim only trims the main heap's top; see the header.)
TEST(Allocator, ReleaseFreeMemoryGivesKeptBlocksBack) {
  const std::string how = allocator_description();
#if defined(__GLIBC__)
  if (how.find("kept") == std::string::npos) GTEST_SKIP() << "allocator left as the environment asks: " << how;
  constexpr size_t kBytes = size_t(64) << 20;
  faults_of_a_touched_block(kBytes);
  ASSERT_LT(faults_of_a_touched_block(kBytes), 16384 / 20) << "kept before the release";
  EXPECT_TRUE(release_free_memory());
  EXPECT_GT(faults_of_a_touched_block(kBytes), 16384 / 2) << "released";
#else
  EXPECT_FALSE(release_free_memory());
#endif
}

}  // namespace
}  // namespace latentlab
