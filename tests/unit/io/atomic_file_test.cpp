#include "io/atomic_file.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/test_support.h"

namespace latentlab::io {
namespace {

TEST(AtomicFile, CommitPutsTheFileInPlaceAndLeavesNoTemporary) {
  testing::ScratchDir dir;
  write_file_atomic(dir.file("out.json"), "{}\n");
  EXPECT_EQ(testing::read_text(dir.file("out.json")), "{}\n");
  EXPECT_EQ(dir.list(), std::vector<std::string>{"out.json"});
}

TEST(AtomicFile, AbandonedWriteLeavesTheOldFileAndNoTemporary) {
  testing::ScratchDir dir;
  write_file_atomic(dir.file("out.json"), "old");
  {
    AtomicFile file(dir.file("out.json"));
    file.write("new but unfinished");
    // no commit: an exception or a crash at this point
  }
  EXPECT_EQ(testing::read_text(dir.file("out.json")), "old");
  EXPECT_EQ(dir.list(), std::vector<std::string>{"out.json"});
}

TEST(AtomicFile, UnwritableDirectoryIsAUserErrorNamingTheTarget) {
  try {
    write_file_atomic("/nonexistent-dir/out.json", "x");
    FAIL();
  } catch (const UserError& e) {
    EXPECT_EQ(e.subject(), "/nonexistent-dir/out.json");
  }
}

TEST(AtomicFile, LibrariesCanWriteThroughTheTemporaryPath) {
  testing::ScratchDir dir;
  AtomicFile file(dir.file("lib.bin"));
  file.close_handle();
  testing::write_bytes(file.temp_path(), "written by a library");
  file.commit();
  EXPECT_EQ(testing::read_text(dir.file("lib.bin")), "written by a library");
}

}  // namespace
}  // namespace latentlab::io
