// CIFAR-10 reader: exact pixels and labels of tiny generated batches (records spread unevenly over the five train
// batches so that index -> batch mapping is exercised), class names from batches.meta.txt, and each refusal
// naming the file.
#include "datasets/readers/cifar10_reader.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab::datasets {
namespace {

using testing::problem_of;

using testing::ScratchDir;
using testing::write_bytes;

uint8_t pixel_value(int64_t n, int c, int y, int x) {
  return static_cast<uint8_t>(n * 31 + c * 101 + y * 7 + x);
}
uint8_t label_of(int64_t n) {
  return static_cast<uint8_t>((n * 3 + 1) % 10);
}

// Records [first, first + count): label byte, then R, G and B planes of 32x32.
std::string batch(int64_t first, int64_t count) {
  std::string out;
  for (int64_t n = first; n < first + count; ++n) {
    out += static_cast<char>(label_of(n));
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) out += static_cast<char>(pixel_value(n, c, y, x));
  }
  return out;
}

// Train: batches of 2, 1, 3, 1, 2 records (global indices 0..8); test: 4 records numbered from 100.
void write_dataset(const ScratchDir& dir) {
  const int counts[5] = {2, 1, 3, 1, 2};
  int64_t first = 0;
  for (int b = 0; b < 5; ++b) {
    write_bytes(dir.file("data_batch_" + std::to_string(b + 1) + ".bin"), batch(first, counts[b]));
    first += counts[b];
  }
  write_bytes(dir.file("test_batch.bin"), batch(100, 4));
}

void expect_record(const Example& e, int64_t n) {
  ASSERT_EQ(e.image.height, 32);
  ASSERT_EQ(e.image.width, 32);
  ASSERT_EQ(e.image.pixels.size(), 32u * 32u * 3u);
  EXPECT_EQ(e.label, label_of(n));
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 32; ++x)
      for (int c = 0; c < 3; ++c) ASSERT_EQ(e.image.pixels[(y * 32 + x) * 3 + c], pixel_value(n, c, y, x)) << n;
}

TEST(Cifar10ReaderTest, ReadsTrainBatchesInOrder) {
  ScratchDir dir;
  write_dataset(dir);
  const Cifar10Reader reader(dir.path(), "train");
  ASSERT_EQ(reader.size(), 9);
  for (int64_t n = 0; n < 9; ++n) {
    const Example e = reader.get(n);
    expect_record(e, n);
    EXPECT_EQ(e.key, "index:" + std::to_string(n));
  }
  EXPECT_EQ(reader.info().spec, "cifar10:" + dir.path() + ",split=train");
  EXPECT_EQ(reader.info().class_names, cifar10_class_names());
  EXPECT_EQ(reader.batch_paths().size(), 5u);
  EXPECT_THROW(reader.get(9), UserError);
  EXPECT_THROW(reader.get(-1), UserError);
}

TEST(Cifar10ReaderTest, ReadsTestBatchAndMetaNames) {
  ScratchDir dir;
  write_dataset(dir);
  write_bytes(dir.file("batches.meta.txt"), "a\nb\r\nc\nd\ne\nf\ng\nh\ni\nj\n\n");
  const Cifar10Reader reader(dir.path(), "test");
  ASSERT_EQ(reader.size(), 4);
  for (int64_t n = 0; n < 4; ++n) expect_record(reader.get(n), 100 + n);
  EXPECT_EQ(reader.info().class_names, (std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}));
  EXPECT_CONTAINS(reader.info().description, "CIFAR-10 test: 4 ");
}

TEST(Cifar10ReaderTest, RefusesBadSplitAndMissingBatch) {
  ScratchDir dir;
  write_dataset(dir);
  EXPECT_THROW(Cifar10Reader(dir.path(), "val"), UserError);
  std::filesystem::remove(dir.file("data_batch_4.bin"));
  EXPECT_CONTAINS(problem_of([&] { Cifar10Reader(dir.path(), "train"); }, dir.file("data_batch_4.bin")), "open");
}

TEST(Cifar10ReaderTest, RefusesTruncatedAndEmptyBatches) {
  ScratchDir dir;
  write_dataset(dir);
  const std::string full = batch(0, 2);
  for (size_t length : {size_t{1}, size_t{3072}, size_t{3074}, full.size() - 1}) {
    SCOPED_TRACE(length);
    write_bytes(dir.file("data_batch_1.bin"), full.substr(0, length));
    EXPECT_CONTAINS(problem_of([&] { Cifar10Reader(dir.path(), "train"); }, dir.file("data_batch_1.bin")),
                    "not a multiple of the 3073-byte record");
  }
  write_bytes(dir.file("test_batch.bin"), "");
  EXPECT_CONTAINS(problem_of([&] { Cifar10Reader(dir.path(), "test"); }, dir.file("test_batch.bin")), "empty");
}

TEST(Cifar10ReaderTest, RefusesLabelsOutOfRangeAndBadMeta) {
  ScratchDir dir;
  write_dataset(dir);
  std::string bad = batch(100, 4);
  bad[2 * 3073] = 10;
  write_bytes(dir.file("test_batch.bin"), bad);
  EXPECT_CONTAINS(problem_of([&] { Cifar10Reader(dir.path(), "test"); }, dir.file("test_batch.bin")),
                  "label 10 of record 2 is outside [0, 10)");
  write_bytes(dir.file("batches.meta.txt"), "a\nb\nc\n");
  EXPECT_CONTAINS(problem_of([&] { Cifar10Reader(dir.path(), "train"); }, dir.file("batches.meta.txt")),
                  "names 3 classes");
}

}  // namespace
}  // namespace latentlab::datasets
