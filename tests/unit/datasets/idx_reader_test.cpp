// IDX reader: exact pixels and labels of tiny generated splits (raw and gzipped by the system's gzip), every
// refusal naming the file, and Debian's Fashion-MNIST against an independent gzip + numpy reference.
#include "datasets/readers/idx_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab::datasets {
namespace {

using testing::problem_of;

using testing::ScratchDir;
using testing::write_bytes;

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

uint8_t pixel_value(int64_t n, int y, int x) {
  return static_cast<uint8_t>(n * 37 + y * 5 + x * 3 + 1);
}

std::string images_file(uint32_t n, uint32_t rows, uint32_t cols, uint32_t magic = 0x803) {
  std::string out = be32(magic) + be32(n) + be32(rows) + be32(cols);
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t y = 0; y < rows; ++y)
      for (uint32_t x = 0; x < cols; ++x) out += static_cast<char>(pixel_value(i, y, x));
  return out;
}

std::string labels_file(const std::vector<uint8_t>& labels, uint32_t magic = 0x801) {
  std::string out = be32(magic) + be32(static_cast<uint32_t>(labels.size()));
  for (uint8_t l : labels) out += static_cast<char>(l);
  return out;
}

const std::vector<uint8_t> kLabels = {3, 0, 9, 7, 1};

// PREFIX-images-idx3-ubyte and PREFIX-labels-idx1-ubyte with 5 images of 4x3.
void write_split(const std::string& prefix) {
  write_bytes(prefix + "-images-idx3-ubyte", images_file(5, 4, 3));
  write_bytes(prefix + "-labels-idx1-ubyte", labels_file(kLabels));
}

// Compresses `path` into path.gz with the system's gzip (an oracle independent of the reader's zlib use).
void gzip_file(const std::string& path, bool keep = false) {
  const auto r = testing::run_command("gzip -n -f " + std::string(keep ? "-k " : "") + "'" + path + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

// The problem of the UserError `f` throws ("" if none), after checking that it names `subject`.
void expect_tiny_split(const ImageSource& source) {
  ASSERT_EQ(source.size(), 5);
  for (int64_t n = 0; n < 5; ++n) {
    const Example e = source.get(n);
    ASSERT_EQ(e.image.height, 4);
    ASSERT_EQ(e.image.width, 3);
    ASSERT_EQ(e.image.pixels.size(), 4u * 3u * 3u);
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 3; ++x)
        for (int c = 0; c < 3; ++c) ASSERT_EQ(e.image.pixels[(y * 3 + x) * 3 + c], pixel_value(n, y, x));
    EXPECT_EQ(e.label, kLabels[n]);
    EXPECT_EQ(e.key, "index:" + std::to_string(n));
    EXPECT_TRUE(e.attributes.empty());
  }
}

TEST(IdxReaderTest, ReadsRawSplitExactly) {
  ScratchDir dir;
  write_split(dir.file("train"));
  const auto reader = IdxReader::open(dir.file("train"));
  expect_tiny_split(*reader);
  EXPECT_EQ(reader->rows(), 4);
  EXPECT_EQ(reader->cols(), 3);
  EXPECT_EQ(reader->info().spec, "idx:" + dir.file("train"));
  EXPECT_EQ(reader->info().class_names, (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}));
  EXPECT_TRUE(reader->info().attributes.empty());
  EXPECT_CONTAINS(reader->info().description, "MNIST");
  EXPECT_THROW(reader->get(5), UserError);
  EXPECT_THROW(reader->get(-1), UserError);
}

TEST(IdxReaderTest, ReadsGzippedSplitOrSaysZlibIsMissing) {
  ScratchDir dir;
  write_split(dir.file("t10k"));
  gzip_file(dir.file("t10k-images-idx3-ubyte"));
  gzip_file(dir.file("t10k-labels-idx1-ubyte"));
  if (!idx_gzip_supported()) {
    EXPECT_CONTAINS(problem_of([&] { IdxReader::open(dir.path(), "test"); }, dir.file("t10k-images-idx3-ubyte.gz")),
                    "zlib");
    return;
  }
  const auto reader = IdxReader::open(dir.path(), "test");
  expect_tiny_split(*reader);
  EXPECT_EQ(reader->images_path(), dir.file("t10k-images-idx3-ubyte.gz"));
  // Mixed: raw labels next to gzipped images; raw is preferred when both forms exist.
  write_split(dir.file("t10k"));
  EXPECT_EQ(IdxReader::open(dir.path(), "t10k")->images_path(), dir.file("t10k-images-idx3-ubyte"));
}

TEST(IdxReaderTest, FashionClassNamesFollowThePath) {
  ScratchDir dir;
  std::filesystem::create_directory(dir.file("Fashion-MNIST"));
  write_split(dir.file("Fashion-MNIST/train"));
  const auto reader = IdxReader::open(dir.file("Fashion-MNIST"), "train");
  EXPECT_EQ(reader->info().class_names, fashion_mnist_class_names());
  EXPECT_EQ(reader->info().class_names.at(9), "Ankle boot");
  EXPECT_CONTAINS(reader->info().description, "Fashion-MNIST");
}

TEST(IdxReaderTest, GetIsThreadSafeAndDeterministic) {
  ScratchDir dir;
  write_split(dir.file("train"));
  const auto reader = IdxReader::open(dir.file("train"));
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 1);
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < 200; ++k) {
        const int64_t n = (t + k) % 5;
        const Example e = reader->get(n);
        if (e.label != kLabels[n] || e.image.pixels[5] != pixel_value(n, 0, 1)) ok[t] = 0;
      }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(ok[t], 1) << t;
}

TEST(IdxReaderTest, RefusesBadSplitsAndMissingFiles) {
  ScratchDir dir;
  EXPECT_THROW(IdxReader::open(dir.path(), "validation"), UserError);
  EXPECT_CONTAINS(problem_of([&] { IdxReader::open(dir.file("train")); }, dir.file("train-images-idx3-ubyte")),
                  "no such file");
}

// Every refusal of a broken images or labels file, raw and (where zlib is there) gzipped.
class IdxBrokenTest : public ::testing::TestWithParam<bool> {
 protected:
  // Writes `images` and `labels` (gzipped when the parameter says so) and returns the problem reported for the
  // file that `bad_images` says is broken.
  std::string open_problem(const std::string& images, const std::string& labels, bool bad_images) {
    const bool gz = GetParam();
    write_bytes(dir_.file("s-images-idx3-ubyte"), images);
    write_bytes(dir_.file("s-labels-idx1-ubyte"), labels);
    std::string suffix;
    if (gz) {
      gzip_file(dir_.file("s-images-idx3-ubyte"));
      gzip_file(dir_.file("s-labels-idx1-ubyte"));
      suffix = ".gz";
    }
    const std::string bad = dir_.file(bad_images ? "s-images-idx3-ubyte" : "s-labels-idx1-ubyte") + suffix;
    return problem_of([&] { IdxReader::open(dir_.file("s")); }, bad);
  }
  void SetUp() override {
    if (GetParam() && !idx_gzip_supported()) GTEST_SKIP() << "built without zlib (the refusal is tested above)";
  }
  ScratchDir dir_;
};

TEST_P(IdxBrokenTest, TruncatedAtSeveralLengths) {
  const std::string images = images_file(5, 4, 3), labels = labels_file(kLabels);
  for (size_t length :
       {size_t{0}, size_t{3}, size_t{4}, size_t{9}, size_t{15}, size_t{16}, size_t{40}, images.size() - 1}) {
    SCOPED_TRACE(length);
    EXPECT_CONTAINS(open_problem(images.substr(0, length), labels, true), "truncated");
  }
  for (size_t length : {size_t{2}, size_t{7}, size_t{8}, labels.size() - 1}) {
    SCOPED_TRACE(length);
    EXPECT_CONTAINS(open_problem(images, labels.substr(0, length), false), "truncated");
  }
}

TEST_P(IdxBrokenTest, TrailingData) {
  EXPECT_CONTAINS(open_problem(images_file(5, 4, 3) + "x", labels_file(kLabels), true), "trailing");
  EXPECT_CONTAINS(open_problem(images_file(5, 4, 3), labels_file(kLabels) + "yz", false), "trailing");
}

TEST_P(IdxBrokenTest, WrongMagic) {
  const std::string labels = labels_file(kLabels);
  EXPECT_CONTAINS(open_problem(images_file(5, 4, 3, 0x801), labels, true), "wrong magic 0x00000801");
  EXPECT_CONTAINS(open_problem(images_file(5, 4, 3, 0xD03), labels, true), "expected 0x00000803");
  EXPECT_CONTAINS(open_problem(images_file(5, 4, 3, 0x1f8b0803), labels, true), "wrong magic");
  EXPECT_CONTAINS(open_problem(images_file(5, 4, 3), labels_file(kLabels, 0x803), false), "expected 0x00000801");
}

TEST_P(IdxBrokenTest, CountMismatchAndLabelOutOfRange) {
  EXPECT_CONTAINS(open_problem(images_file(5, 4, 3), labels_file({1, 2, 3, 4}), false), "holds 4 labels");
  EXPECT_CONTAINS(open_problem(images_file(5, 4, 3), labels_file({1, 2, 3, 10, 4}), false),
                  "label 10 of item 3 is outside [0, 10)");
  EXPECT_CONTAINS(open_problem(images_file(0, 4, 3), labels_file({}), true), "holds no images");
  EXPECT_CONTAINS(open_problem(images_file(5, 0, 3), labels_file(kLabels), true), "empty");
}

TEST_P(IdxBrokenTest, HugeClaimedSizes) {
  const std::string labels = labels_file(kLabels);
  // 2^32-1 cubed overflows 64 bits; 10^9 images of 1000x1000 do not, but the file is far too short for them.
  const std::string overflow = be32(0x803) + be32(0xffffffffu) + be32(0xffffffffu) + be32(0xffffffffu) + "abc";
  EXPECT_CONTAINS(open_problem(overflow, labels, true), "overflows");
  const std::string huge = be32(0x803) + be32(1000000000u) + be32(1000) + be32(1000) + std::string(100, 'p');
  EXPECT_CONTAINS(open_problem(huge, labels, true), "truncated: 116 bytes, but the header announces 1000000000000016");
  const std::string many_labels = be32(0x801) + be32(0xffffffffu) + "12345";
  EXPECT_CONTAINS(open_problem(images_file(5, 4, 3), many_labels, false), "truncated");
}

INSTANTIATE_TEST_SUITE_P(RawAndGzip, IdxBrokenTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "gzip" : "raw"; });

TEST(IdxReaderTest, RefusesBrokenGzipStreams) {
  if (!idx_gzip_supported()) GTEST_SKIP() << "built without zlib";
  ScratchDir dir;
  write_split(dir.file("s"));
  gzip_file(dir.file("s-images-idx3-ubyte"));
  const std::string gz = testing::read_text(dir.file("s-images-idx3-ubyte.gz"));
  for (size_t length : {size_t{0}, size_t{5}, size_t{12}, gz.size() / 2, gz.size() - 4, gz.size() - 1}) {
    SCOPED_TRACE(length);
    write_bytes(dir.file("s-images-idx3-ubyte.gz"), gz.substr(0, length));
    const std::string problem = problem_of([&] { IdxReader::open(dir.file("s")); }, dir.file("s-images-idx3-ubyte.gz"));
    EXPECT_TRUE(problem.find("truncated") != std::string::npos || problem.find("not a gzip") != std::string::npos)
        << problem;
  }
  // A .gz name over raw IDX bytes is a mistake worth reporting.
  write_bytes(dir.file("s-images-idx3-ubyte.gz"), images_file(5, 4, 3));
  std::filesystem::remove(dir.file("s-images-idx3-ubyte"));
  EXPECT_CONTAINS(problem_of([&] { IdxReader::open(dir.file("s")); }, dir.file("s-images-idx3-ubyte.gz")),
                  "not a gzip file");
}

// Debian's dataset-fashion-mnist (CI installs it): size, first labels and pixel checksums against
// tests/reference/idx_reference.py (gzip + numpy). Missing data or script is a failure, not a skip.
TEST(IdxReaderTest, FashionMnistMatchesNumpyReference) {
  const std::string root = "/usr/share/datasets/fashion-mnist";
  ASSERT_TRUE(testing::file_exists(root + "/train-images-idx3-ubyte.gz")) << "install dataset-fashion-mnist";
  ASSERT_TRUE(testing::file_exists(std::string(LATENTLAB_SOURCE_DIR) + "/tests/reference/idx_reference.py"));
  for (const std::string split : {"train", "t10k"}) {
    SCOPED_TRACE(split);
    const auto reader = IdxReader::open(root + "/" + split);
    int64_t sum = 0, weighted = 0, flat = 0, grey_mismatches = 0;
    std::string first_labels;
    for (int64_t n = 0; n < reader->size(); ++n) {
      const Example e = reader->get(n);
      if (n < 10) first_labels += (n ? " " : "") + std::to_string(e.label);
      const auto& p = e.image.pixels;
      for (size_t i = 0; i < p.size(); i += 3, ++flat) {
        grey_mismatches += p[i] != p[i + 1] || p[i] != p[i + 2];
        sum += p[i];
        weighted += int64_t{p[i]} * (flat % 997);
      }
    }
    EXPECT_EQ(grey_mismatches, 0);
    std::ostringstream mine;
    mine << "size " << reader->size() << "\nshape " << reader->rows() << " " << reader->cols() << "\nlabels "
         << first_labels << "\nsum " << sum << "\nweighted " << weighted << "\n";
    const auto ref = testing::run_reference_python("idx_reference.py", root + "/" + split);
    ASSERT_EQ(ref.exit_code, 0) << ref.err;
    EXPECT_EQ(mine.str(), ref.out);
    EXPECT_EQ(reader->size(), split == "train" ? 60000 : 10000);
    EXPECT_EQ(reader->info().class_names, fashion_mnist_class_names());
  }
}

}  // namespace
}  // namespace latentlab::datasets
