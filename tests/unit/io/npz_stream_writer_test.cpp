// NpzStreamWriter: members appended in uneven pieces read back equal through NpzReader (libzip) and numpy
// (np.load, an independent zip reader), with and without ZIP64 records; equal arrays give equal bytes
// (fixed timestamps, which `sample merge` relies on); wrong sizes are refused and leave no file.
#ifdef LATENTLAB_WITH_ZIP  // reading the archives back needs libzip
#include "io/npz_stream_writer.h"

#include <algorithm>
#include <cstring>

#include <gtest/gtest.h>

#include "core/error.h"
#include "io/npz.h"
#include "support/expect_user_error.h"
#include "support/sample_arrays.h"
#include "support/test_support.h"

namespace latentlab::io {
namespace {

using testing::sample_array;

// The arrays of every test: a uint8 image batch (streamed in pieces), int64 labels, a float64 scalar.
NamedArrays arrays() {
  return {{"arr_0", sample_array(DType::U8, {5, 4, 3, 3})},
          {"arr_1", sample_array(DType::I64, {5})},
          {"scalar", sample_array(DType::F64, {})}};
}

void write_streamed(const std::string& path, bool zip64) {
  NpzStreamWriter writer(path, zip64);
  const NamedArrays a = arrays();
  const Array& images = a[0].second;
  writer.begin("arr_0", images.dtype, images.shape);
  for (size_t at = 0; at < images.nbytes; at += 17)  // pieces that cut rows and elements
    writer.append(images.data + at, std::min<size_t>(17, images.nbytes - at));
  writer.add("arr_1", a[1].second);
  writer.add("scalar", a[2].second);
  writer.commit();
}

void expect_equal_arrays(const NamedArrays& back) {
  const NamedArrays expected = arrays();
  ASSERT_EQ(back.size(), expected.size());
  for (size_t i = 0; i < back.size(); ++i) {
    SCOPED_TRACE(expected[i].first);
    EXPECT_EQ(back[i].first, expected[i].first);
    EXPECT_EQ(back[i].second.dtype, expected[i].second.dtype);
    EXPECT_EQ(back[i].second.shape, expected[i].second.shape);
    ASSERT_EQ(back[i].second.nbytes, expected[i].second.nbytes);
    EXPECT_EQ(std::memcmp(back[i].second.data, expected[i].second.data, back[i].second.nbytes), 0);
  }
}

class NpzStreamWriterTest : public ::testing::TestWithParam<bool> {};

TEST_P(NpzStreamWriterTest, StreamedMembersReadBackEqual) {
  testing::ScratchDir dir;
  write_streamed(dir.file("a.npz"), GetParam());
  EXPECT_EQ(dir.list(), std::vector<std::string>{"a.npz"});
  expect_equal_arrays(read_npz(dir.file("a.npz")));
  const NpzReader reader(dir.file("a.npz"));
  const Array rows = reader.read_rows("arr_0", 2, 2);
  EXPECT_EQ(std::memcmp(rows.data, arrays()[0].second.data + 2 * 36, 2 * 36), 0);
  // Equal arrays, equal bytes (the same file as write_npz gives is not promised: libzip stamps times).
  write_streamed(dir.file("b.npz"), GetParam());
  EXPECT_EQ(testing::read_text(dir.file("a.npz")), testing::read_text(dir.file("b.npz")));
}

TEST_P(NpzStreamWriterTest, NumpyReadsTheArchive) {
  ASSERT_TRUE(testing::reference_python_has("numpy")) << "Debian's python3-numpy is required (tools/install-deps.sh)";
  testing::ScratchDir dir;
  write_streamed(dir.file("a.npz"), GetParam());
  // numpy's own reader (zipfile, CRC checked on read) against the values the same arrays hold here, written
  // by write_npz (a stored np.savez layout through libzip).
  write_npz(dir.file("ref.npz"), arrays(), false);
  const auto r = testing::run_command(
      std::string(LATENTLAB_REFERENCE_PYTHON) + " -c \"import numpy as np, sys; " +
      "a = np.load(sys.argv[1]); b = np.load(sys.argv[2]); " + "assert a.files == b.files, a.files; " +
      "assert all(a[k].dtype == b[k].dtype and (a[k] == b[k]).all() for k in a.files); " +
      "print('ok', a['arr_0'].shape)\" " + dir.file("a.npz") + " " + dir.file("ref.npz"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "ok (5, 4, 3, 3)");
}

INSTANTIATE_TEST_SUITE_P(Zip64, NpzStreamWriterTest, ::testing::Values(false, true));

TEST(NpzStreamWriterErrors, WrongSizesAreRefusedAndLeaveNoFile) {
  testing::ScratchDir dir;
  const std::string path = dir.file("bad.npz");
  {
    NpzStreamWriter writer(path);
    writer.begin("arr_0", DType::U8, {2, 2});
    const uint8_t bytes[5] = {1, 2, 3, 4, 5};
    EXPECT_CONTAINS(testing::problem_of([&] { writer.append(bytes, 5); }, path), "more than the");
    writer.append(bytes, 3);
    EXPECT_CONTAINS(testing::problem_of([&] { writer.commit(); }, path), "1 of its");
  }
  {
    NpzStreamWriter writer(path);
    writer.add("x", sample_array(DType::F32, {2}));
    EXPECT_CONTAINS(testing::problem_of([&] { writer.add("x", sample_array(DType::F32, {2})); }, path), "twice");
  }
  EXPECT_TRUE(dir.list().empty());
}

}  // namespace
}  // namespace latentlab::io
#endif
