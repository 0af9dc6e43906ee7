// .npz: round trips stored and deflated, reading row ranges against slices of the whole array (the fast path
// against the exact slow path), members written by hand in the layouts numpy also produces (big-endian,
// Fortran order), and one test per refusal. numpy itself reads and writes these in
// tests/reference/arrays_reference_test.cpp.
#ifdef LATENTLAB_WITH_ZIP  // .npz needs libzip: without it this file tests only the refusal (at the end)
#include "io/npz.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "io/zip_archive.h"
#include "support/expect_user_error.h"
#include "support/sample_arrays.h"
#include "support/test_support.h"

namespace latentlab::io {
namespace {

using testing::bytes_of;
using testing::kAllDTypes;
using testing::kNumpyDTypes;
using testing::sample_array;

// Writes a zip whose members are given raw.
void write_zip(const std::string& path, const std::vector<std::pair<std::string, std::vector<uint8_t>>>& members,
               bool compress = false) {
  ZipWriter writer(path, compress);
  for (const auto& [name, bytes] : members) writer.add(name, bytes);
  writer.commit();
}

template <typename F>
std::string problem_of(const std::string& path, F&& f) {
  try {
    f();
  } catch (const UserError& e) {
    EXPECT_EQ(e.subject(), path);
    return e.problem();
  }
  return "(no error)";
}

class NpzTest : public ::testing::TestWithParam<bool> {};

TEST_P(NpzTest, RoundTripsEveryDTypeInOrder) {
  testing::ScratchDir dir;
  NamedArrays arrays;
  for (DType dtype : kNumpyDTypes)
    arrays.emplace_back(std::string("z_") + dtype_name(dtype), sample_array(dtype, {3, 4, 5}));
  arrays.emplace_back("scalar", sample_array(DType::F64, {}));
  arrays.emplace_back("empty", sample_array(DType::U8, {0, 2}));
  arrays.emplace_back("a/nested name", sample_array(DType::I32, {2}));
  write_npz(dir.file("a.npz"), arrays, GetParam());
  EXPECT_EQ(dir.list(), std::vector<std::string>{"a.npz"});

  const NamedArrays back = read_npz(dir.file("a.npz"));
  ASSERT_EQ(back.size(), arrays.size());
  for (size_t i = 0; i < arrays.size(); ++i) {
    SCOPED_TRACE(arrays[i].first);
    EXPECT_EQ(back[i].first, arrays[i].first);
    EXPECT_EQ(back[i].second.dtype, arrays[i].second.dtype);
    EXPECT_EQ(back[i].second.shape, arrays[i].second.shape);
    EXPECT_EQ(bytes_of(back[i].second), bytes_of(arrays[i].second));
  }
  NpzReader reader(dir.file("a.npz"));
  EXPECT_TRUE(reader.contains("scalar"));
  EXPECT_FALSE(reader.contains("scalar.npy"));
  const NpyHeader& info = reader.info("z_F32");
  EXPECT_EQ(info.dtype, DType::F32);
  EXPECT_EQ(info.shape, (Shape{3, 4, 5}));
  EXPECT_FALSE(info.fortran_order);
  EXPECT_EQ(info.data_offset, 128u);
  EXPECT_EQ(info.data_bytes, 240u);
  // Each member is exactly what np.save writes on its own.
  ZipReader zip(dir.file("a.npz"));
  EXPECT_EQ(zip.read("z_F32.npy"), serialize_npy(arrays[1].second));
}

TEST_P(NpzTest, ReadRowsEqualsSlicesOfTheWholeArray) {
  testing::ScratchDir dir;
  const Array images = sample_array(DType::U8, {10, 4, 5, 3});  // ADM layout: N x H x W x 3
  const Array labels = sample_array(DType::I64, {10});
  write_npz(dir.file("adm.npz"), {{"arr_0", images}, {"arr_1", labels}}, GetParam());
  NpzReader reader(dir.file("adm.npz"));
  EXPECT_EQ(reader.names(), (std::vector<std::string>{"arr_0", "arr_1"}));
  const std::vector<uint8_t> whole = bytes_of(reader.read("arr_0"));
  EXPECT_EQ(whole, bytes_of(images));
  for (int64_t batch : {1, 3, 4, 10}) {
    std::vector<uint8_t> joined;
    for (int64_t first = 0; first < 10; first += batch) {
      const int64_t count = std::min<int64_t>(batch, 10 - first);
      const Array rows = reader.read_rows("arr_0", first, count);
      EXPECT_EQ(rows.shape, (Shape{count, 4, 5, 3}));
      joined.insert(joined.end(), rows.data, rows.data + rows.nbytes);
      const Array label_rows = reader.read_rows("arr_1", first, count);
      EXPECT_EQ(bytes_of(label_rows), std::vector<uint8_t>(labels.data + first * 8, labels.data + (first + count) * 8));
    }
    EXPECT_EQ(joined, whole) << "batch " << batch;
  }
  EXPECT_EQ(reader.read_rows("arr_0", 10, 0).shape, (Shape{0, 4, 5, 3}));
  EXPECT_EQ(reader.read_rows("arr_0", 3, 0).nbytes, 0u);
}

INSTANTIATE_TEST_SUITE_P(StoredAndDeflated, NpzTest, ::testing::Bool());

TEST(NpzFormatTest, ConvertsBigEndianAndFortranMembers) {
  testing::ScratchDir dir;
  // '>i2' of shape (3, 2): values 0x0102, 0x0304, ... stored big-endian.
  std::vector<uint8_t> big = serialize_npy(sample_array(DType::I16, {3, 2}));
  const size_t at = std::string(big.begin(), big.end()).find("'<i2'");
  big[at + 1] = '>';
  // Fortran (2, 3) uint8 holding [[0, 1, 2], [3, 4, 5]] column-major.
  std::vector<uint8_t> fortran = serialize_npy(Array::copy_of(DType::U8, {2, 3}, "\0\3\1\4\2\5", 6));
  const std::string text(fortran.begin(), fortran.end());
  const size_t order = text.find("False");
  fortran.erase(fortran.begin() + order, fortran.begin() + order + 5);
  const std::string t = "True ";  // same length, so the padding and offsets stay valid
  fortran.insert(fortran.begin() + order, t.begin(), t.end());
  write_zip(dir.file("a.npz"), {{"big.npy", big}, {"fortran.npy", fortran}});

  NpzReader reader(dir.file("a.npz"));
  EXPECT_TRUE(reader.info("big").big_endian);
  const std::vector<uint8_t> stored(big.end() - 12, big.end());
  std::vector<uint8_t> swapped = stored;
  byte_swap(swapped.data(), 6, 2);
  EXPECT_EQ(bytes_of(reader.read("big")), swapped);
  EXPECT_EQ(bytes_of(reader.read_rows("big", 1, 2)), std::vector<uint8_t>(swapped.begin() + 4, swapped.end()));
  EXPECT_TRUE(reader.info("fortran").fortran_order);
  EXPECT_EQ(bytes_of(reader.read("fortran")), (std::vector<uint8_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(problem_of(dir.file("a.npz"), [&] { reader.read_rows("fortran", 0, 1); }),
            "array 'fortran' is stored in Fortran order: its rows are not contiguous, read it whole");
}

TEST(NpzFormatTest, EmptyArchive) {
  testing::ScratchDir dir;
  write_npz(dir.file("e.npz"), {}, false);
  EXPECT_TRUE(read_npz(dir.file("e.npz")).empty());
}

TEST(NpzFormatTest, RefusesArchivesThatAreNotNpz) {
  testing::ScratchDir dir;
  const std::string path = dir.file("x.npz");
  const auto open_error = [&] { return problem_of(path, [&] { NpzReader reader(path); }); };
  const std::vector<uint8_t> good = serialize_npy(sample_array(DType::F32, {2, 2}));

  testing::write_bytes(path, "not a zip at all");
  EXPECT_CONTAINS(open_error(), "not a readable zip archive");
  write_zip(path, {{"a.npy", good}, {"archive/data.pkl", bytes_of("pickle")}});
  EXPECT_EQ(open_error(),
            "member 'archive/data.pkl' is not a .npy file (an .npz archive holds only <name>.npy members)");
  write_zip(path, {{"a.npy", bytes_of("PK\3\4 this is not an npy file")}});
  EXPECT_EQ(open_error(), "member 'a.npy': not a .npy file (it does not start with \\x93NUMPY)");
  write_zip(path, {{"a.npy", {}}});
  EXPECT_EQ(open_error(), "member 'a.npy': empty file, not a .npy array");
  std::vector<uint8_t> bad_dict = good;
  bad_dict[10] = '[';
  write_zip(path, {{"a.npy", bad_dict}});
  EXPECT_CONTAINS(open_error(), "member 'a.npy': malformed header at column 1: expected '{'");
  write_zip(path, {{"a.npy", std::vector<uint8_t>(good.begin(), good.begin() + 100)}});
  EXPECT_EQ(open_error(), "member 'a.npy' is truncated: its 100 bytes end inside the 128-byte .npy header");
  write_zip(path, {{"a.npy", std::vector<uint8_t>(good.begin(), good.end() - 1)}}, true);
  EXPECT_EQ(open_error(),
            "member 'a.npy' holds 143 bytes but its header announces <f4 [2, 2] (144 bytes with the header)");
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  write_zip(path, {{"a.npy", longer}});
  EXPECT_EQ(open_error(),
            "member 'a.npy' holds 145 bytes but its header announces <f4 [2, 2] (144 bytes with the header)");
}

TEST(NpzFormatTest, ReadErrorsNameTheArchiveAndTheArray) {
  testing::ScratchDir dir;
  const std::string path = dir.file("s.npz");
  write_npz(path,
            {{"mu", sample_array(DType::F64, {4})},
             {"sigma", sample_array(DType::F64, {4, 4})},
             {"s", sample_array(DType::F64, {})}},
            false);
  NpzReader reader(path);
  EXPECT_EQ(problem_of(path, [&] { reader.read("mean"); }), "no array 'mean' in the archive (it holds: mu, sigma, s)");
  EXPECT_EQ(problem_of(path, [&] { reader.info("mu.npy"); }),
            "no array 'mu.npy' in the archive (it holds: mu, sigma, s)");
  EXPECT_EQ(problem_of(path, [&] { reader.read_rows("sigma", 2, 3); }),
            "array 'sigma': rows [2, 2 + 3) are outside its 4 rows");
  EXPECT_CONTAINS(problem_of(path, [&] { reader.read_rows("sigma", -1, 1); }), "outside its 4 rows");
  EXPECT_CONTAINS(problem_of(path, [&] { reader.read_rows("sigma", 1, -1); }), "outside its 4 rows");
  EXPECT_CONTAINS(problem_of(path, [&] { reader.read_rows("sigma", 5, 0); }), "outside its 4 rows");
  EXPECT_EQ(problem_of(path, [&] { reader.read_rows("s", 0, 1); }),
            "array 's' is 0-dimensional: it has no rows to read");
}

TEST(NpzFormatTest, ReadRowsChecksTheRowSizeOfEmptyArrays) {
  // (0, 2^40, 2^40) has numel 0, so only the row size can overflow.
  testing::ScratchDir dir;
  const std::string path = dir.file("z.npz");
  std::vector<uint8_t> npy = serialize_npy(sample_array(DType::U8, {0, 0, 0}));
  std::string text(npy.begin(), npy.end());
  text.replace(text.find("(0, 0, 0)"), 9, "(0, 1099511627776, 1099511627776)");
  text.erase(text.find("}") + 2, 24);  // keep the header length: drop as many spaces as were added
  write_zip(path, {{"z.npy", bytes_of(text)}});
  NpzReader reader(path);
  EXPECT_EQ(reader.read("z").nbytes, 0u);
  EXPECT_CONTAINS(problem_of(path, [&] { reader.read_rows("z", 0, 0); }), "member 'z.npy': size overflows 64 bits");
}

TEST(NpzFormatTest, WriterRefusesBFloat16AndDuplicatesAndLeavesNothing) {
  testing::ScratchDir dir;
  const std::string path = dir.file("w.npz");
  EXPECT_EQ(problem_of(path,
                       [&] {
                         write_npz(path, {{"x", sample_array(DType::BF16, {2})}}, false);
                       }),
            "member 'x.npy': BF16 arrays have no numpy dtype; convert to float32 before saving as .npy/.npz");
  EXPECT_EQ(
      problem_of(path,
                 [&] {
                   write_npz(path, {{"x", sample_array(DType::U8, {2})}, {"x", sample_array(DType::U8, {1})}}, true);
                 }),
      "array 'x' appears twice");
  EXPECT_TRUE(dir.list().empty());
}

}  // namespace
}  // namespace latentlab::io

#else  // without libzip (io/zip_archive_unavailable.cpp): every .npz is refused at opening with one line

#include <filesystem>

#include <gtest/gtest.h>

#include "io/npz.h"
#include "io/npz_stream_writer.h"
#include "io/weights.h"
#include "support/expect_user_error.h"
#include "support/sample_arrays.h"
#include "support/test_support.h"

namespace latentlab::io {
namespace {

TEST(NpzWithoutLibzip, EveryEntryPointRefusesWithOneLineAndWritesNothing) {
  testing::ScratchDir dir;
  const std::string path = dir.file("a.npz");
  NpzStreamWriter writer(path);  // a valid archive: NpzStreamWriter writes the zip by hand, without libzip
  writer.add("x", testing::sample_array(DType::F32, {2, 3}));
  writer.commit();
  const std::string line = "zip archives (.npz, zip-format .pth) need libzip: install libzip-dev and reconfigure";
  EXPECT_EQ(testing::problem_of([&] { NpzReader reader(path); }, path), line);
  EXPECT_EQ(testing::problem_of([&] { read_npz(path); }, path), line);
  EXPECT_EQ(testing::problem_of([&] { load_weights(path); }, path), line);
  const std::string out = dir.file("b.npz");
  EXPECT_EQ(testing::problem_of(
                [&] {
                  write_npz(out, {{"x", testing::sample_array(DType::F32, {2})}}, false);
                },
                out),
            line);
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace latentlab::io

#endif  // LATENTLAB_WITH_ZIP
