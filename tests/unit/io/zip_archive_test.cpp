#include "io/zip_archive.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/test_support.h"

namespace latentlab::io {
namespace {

using testing::bytes_of;

class ZipArchive : public ::testing::TestWithParam<bool> {};

TEST_P(ZipArchive, RoundTripWholeAndRanges) {
  testing::ScratchDir dir;
  std::string big;
  for (int i = 0; i < 200000; ++i) big += static_cast<char>('a' + i % 26);
  ZipWriter writer(dir.file("a.zip"), GetParam());
  writer.add("first.txt", bytes_of("hello"));
  writer.add("dir/big.bin", bytes_of(big));
  writer.commit();
  ZipReader reader(dir.file("a.zip"));
  EXPECT_EQ(reader.names(), (std::vector<std::string>{"first.txt", "dir/big.bin"}));
  EXPECT_EQ(reader.read("first.txt"), bytes_of("hello"));
  EXPECT_EQ(reader.size_of("dir/big.bin"), big.size());
  std::string middle(1000, '\0');
  reader.read_range("dir/big.bin", 123457, middle.data(), middle.size());
  EXPECT_EQ(middle, big.substr(123457, 1000));
  EXPECT_THROW(reader.read("missing"), UserError);
  EXPECT_THROW(reader.read("dir/big.bin", 10), UserError);
  EXPECT_THROW(reader.read_range("first.txt", 3, middle.data(), 5), UserError);
}

INSTANTIATE_TEST_SUITE_P(StoredAndDeflated, ZipArchive, ::testing::Bool());

TEST(ZipArchiveErrors, NotAZipNamesTheFile) {
  testing::ScratchDir dir;
  testing::write_bytes(dir.file("x.zip"), "definitely not a zip archive");
  try {
    ZipReader reader(dir.file("x.zip"));
    FAIL();
  } catch (const UserError& e) {
    EXPECT_EQ(e.subject(), dir.file("x.zip"));
  }
}

TEST(ZipArchiveErrors, CorruptDataIsDetected) {
  testing::ScratchDir dir;
  ZipWriter writer(dir.file("a.zip"), false);
  writer.add("data", bytes_of(std::string(4096, 'q')));
  writer.commit();
  std::string raw = testing::read_text(dir.file("a.zip"));
  raw[100] = 'Z';  // inside the stored data: the CRC no longer matches
  testing::write_bytes(dir.file("a.zip"), raw);
  ZipReader reader(dir.file("a.zip"));
  EXPECT_THROW(reader.read("data"), UserError);
}

}  // namespace
}  // namespace latentlab::io
