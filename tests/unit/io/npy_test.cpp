// .npy: round trips for every numpy dtype, the exact bytes np.save writes (headers copied from numpy 1.24's
// output), hand-written headers of every legal shape, and one test per refusal. Cross-checks against numpy
// itself live in tests/reference/arrays_reference_test.cpp.
#include "io/npy.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/error.h"
#include "support/expect_user_error.h"
#include "support/sample_arrays.h"
#include "support/test_support.h"

namespace latentlab::io {
namespace {

using testing::bytes_of;
using testing::kAllDTypes;
using testing::kNumpyDTypes;
using testing::sample_array;

// A .npy image with a hand-written header: no padding rules, just magic, version, length, text, data.
std::vector<uint8_t> npy_image(const std::string& dict, const std::vector<uint8_t>& data = {}, int major = 1) {
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  const std::string header = dict + "\n";
  const size_t length_bytes = major == 1 ? 2 : 4;
  for (size_t i = 0; i < length_bytes; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  out += header;
  std::vector<uint8_t> bytes(out.begin(), out.end());
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

// The problem of the UserError `f` throws ("" if it throws none), after checking its subject.
template <typename F>
std::string problem_of(F&& f, const std::string& subject = "x.npy") {
  try {
    f();
  } catch (const UserError& e) {
    EXPECT_EQ(e.subject(), subject);
    return e.problem();
  }
  return "";
}

TEST(NpyTest, RoundTripsEveryDTypeInMemoryAndOnDisk) {
  testing::ScratchDir dir;
  for (DType dtype : kNumpyDTypes) {
    SCOPED_TRACE(dtype_name(dtype));
    const Array a = sample_array(dtype, {2, 3, 4});
    const Array b = parse_npy(serialize_npy(a), "mem");
    EXPECT_EQ(b.dtype, dtype);
    EXPECT_EQ(b.shape, a.shape);
    EXPECT_EQ(bytes_of(b), bytes_of(a));
    write_npy(dir.file("a.npy"), a);
    const Array c = read_npy(dir.file("a.npy"));
    EXPECT_EQ(c.dtype, dtype);
    EXPECT_EQ(c.shape, a.shape);
    EXPECT_EQ(bytes_of(c), bytes_of(a));
  }
  EXPECT_EQ(dir.list(), std::vector<std::string>{"a.npy"});  // no temporary left behind
}

TEST(NpyTest, EmptyAndZeroDimensionalArrays) {
  for (const Shape& shape : {Shape{}, Shape{0}, Shape{0, 3}, Shape{3, 0}, Shape{1}, Shape{1, 1, 1, 1, 1}}) {
    SCOPED_TRACE(shape_string(shape));
    const Array a = sample_array(DType::F64, shape);
    const Array b = parse_npy(serialize_npy(a), "mem");
    EXPECT_EQ(b.shape, shape);
    EXPECT_EQ(bytes_of(b), bytes_of(a));
  }
}

TEST(NpyTest, HeaderIsByteForByteWhatNumpyWrites) {
  // np.save(io.BytesIO(), np.zeros((3, 4), np.float32)) and friends, numpy 1.24.2.
  const auto header = [](const Array& a) { return npy_header_bytes(a, "x"); };
  const std::string pad = std::string(58, ' ');
  EXPECT_EQ(header(sample_array(DType::F32, {3, 4})),
            std::string("\x93NUMPY\x01\x00v\x00", 10) + "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }" +
                pad + "\n");
  EXPECT_EQ(header(sample_array(DType::F64, {})), std::string("\x93NUMPY\x01\x00v\x00", 10) +
                                                      "{'descr': '<f8', 'fortran_order': False, 'shape': (), }" +
                                                      std::string(62, ' ') + "\n");
  EXPECT_EQ(header(sample_array(DType::Bool, {5})), std::string("\x93NUMPY\x01\x00v\x00", 10) +
                                                        "{'descr': '|b1', 'fortran_order': False, 'shape': (5,), }" +
                                                        std::string(60, ' ') + "\n");
  for (const Shape& shape : {Shape{7}, Shape{123456789, 0}, Shape{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}) {
    const std::string h = header(sample_array(DType::U8, shape));
    EXPECT_EQ(h.size() % 64, 0u);
    EXPECT_EQ(h.back(), '\n');
  }
}

TEST(NpyTest, AcceptsEveryLegalHeaderSpelling) {
  const std::vector<uint8_t> data = {1, 2, 3, 4, 5, 6};
  for (const char* dict : {
           "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }",
           "{'descr':'|u1','fortran_order':False,'shape':(2,3)}",
           "{\"shape\": (2, 3,), \"fortran_order\": False, \"descr\": \"|u1\"}",
           "{ 'descr' : '<u1' ,\n 'fortran_order' : False , 'shape' : ( 2L , 3L ) , }   \t\r",
           "{'descr': '=u1', 'fortran_order': False, 'shape': (2, 3)}",
       }) {
    SCOPED_TRACE(dict);
    for (int major : {1, 2, 3}) {
      const Array a = parse_npy(npy_image(dict, data, major), "x.npy");
      EXPECT_EQ(a.dtype, DType::U8);
      EXPECT_EQ(a.shape, (Shape{2, 3}));
      EXPECT_EQ(bytes_of(a), data);
    }
  }
}

TEST(NpyTest, BigEndianArraysAreSwapped) {
  const std::vector<uint8_t> stored = {0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0};  // 1.0f, -2.0f big-endian
  const Array a = parse_npy(npy_image("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", stored), "x");
  float v[2];
  std::memcpy(v, a.data, sizeof v);
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_EQ(v[1], -2.0f);
  const Array b = parse_npy(npy_image("{'descr': '>i2', 'fortran_order': False, 'shape': (1,), }", {0x01, 0x02}), "x");
  EXPECT_EQ(bytes_of(b), (std::vector<uint8_t>{0x02, 0x01}));
  const Array c = parse_npy(npy_image("{'descr': '>u1', 'fortran_order': False, 'shape': (1,), }", {7}), "x");
  EXPECT_EQ(bytes_of(c), std::vector<uint8_t>{7});
}

TEST(NpyTest, FortranOrderIsConvertedToCOrder) {
  // x = [[0, 1, 2], [3, 4, 5]] stored column-major: 0 3 1 4 2 5.
  const Array a =
      parse_npy(npy_image("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 3), }", {0, 3, 1, 4, 2, 5}), "x");
  EXPECT_EQ(bytes_of(a), (std::vector<uint8_t>{0, 1, 2, 3, 4, 5}));
  // 3-d, 2-byte big-endian: element [i, j, k] = 100 i + 10 j + k, stored with i fastest.
  std::vector<uint8_t> stored;
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 3; ++j)
      for (int i = 0; i < 2; ++i) {
        const int v = 100 * i + 10 * j + k;
        stored.push_back(static_cast<uint8_t>(v >> 8));
        stored.push_back(static_cast<uint8_t>(v & 0xff));
      }
  const Array b = parse_npy(npy_image("{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3, 4), }", stored), "x");
  ASSERT_EQ(b.nbytes, 48u);
  int16_t values[24];
  std::memcpy(values, b.data, sizeof values);
  for (int i = 0, n = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k, ++n) EXPECT_EQ(values[n], 100 * i + 10 * j + k);
  // 1-d and empty Fortran arrays are the same bytes as C order.
  EXPECT_EQ(bytes_of(parse_npy(npy_image("{'descr': '|u1', 'fortran_order': True, 'shape': (3,)}", {4, 5, 6}), "x")),
            (std::vector<uint8_t>{4, 5, 6}));
  EXPECT_EQ(parse_npy(npy_image("{'descr': '<f8', 'fortran_order': True, 'shape': (0, 5)}"), "x").nbytes, 0u);
}

TEST(NpyTest, RefusesBrokenPreambles) {
  const auto parse = [](const std::vector<uint8_t>& bytes) { return problem_of([&] { parse_npy(bytes, "x.npy"); }); };
  EXPECT_CONTAINS(parse({}), "empty file");
  EXPECT_CONTAINS(parse({'P', 'K', 3, 4}), "not a .npy file");
  EXPECT_CONTAINS(parse({0x93, 'N', 'U', 'M'}), "truncated");
  auto image = npy_image("{'descr': '|u1', 'fortran_order': False, 'shape': (0,), }");
  image[6] = 4;
  EXPECT_CONTAINS(parse(image), "unsupported .npy version 4.0");
  image[6] = 1;
  image[7] = 1;
  EXPECT_CONTAINS(parse(image), "unsupported .npy version 1.1");
  image = npy_image("{'descr': '|u1', 'fortran_order': False, 'shape': (0,), }", {}, 2);
  image[11] = 0x7f;
  EXPECT_CONTAINS(parse(image), "header length 2130706490 exceeds the 1048576-byte limit");
  image[11] = 0;
  image[9] = 2;
  EXPECT_CONTAINS(parse(image), "the header needs 582 bytes but only 70 are present");
}

TEST(NpyTest, RefusesMalformedHeaderDicts) {
  const auto parse = [](const std::string& dict, const std::vector<uint8_t>& data = {}) {
    return problem_of([&] { parse_npy(npy_image(dict, data), "x.npy"); });
  };
  const std::string tail = "'fortran_order': False, 'shape': (2,), }";
  EXPECT_CONTAINS(parse("{'descr': '|O', " + tail), "object arrays (descr '|O') hold pickled Python objects");
  EXPECT_CONTAINS(parse("{'descr': '<c8', " + tail), "unsupported dtype '<c8'");
  EXPECT_CONTAINS(parse("{'descr': '<u4', " + tail), "unsupported dtype '<u4'");
  EXPECT_CONTAINS(parse("{'descr': '<U10', " + tail), "unsupported dtype '<U10'");
  EXPECT_CONTAINS(parse("{'descr': 'f4', " + tail), "unsupported dtype 'f4'");
  EXPECT_CONTAINS(parse("{'descr': '|f4', " + tail), "dtype '|f4' has no byte order but 4 bytes");
  EXPECT_CONTAINS(parse("{'descr': [('a', '<f4')], " + tail), "structured dtypes");
  EXPECT_CONTAINS(parse("{'descr': '<f4', 'fortran_order': false, 'shape': (2,), }"), "expected True or False");
  EXPECT_CONTAINS(parse("{'descr': '<f4', 'fortran_order': False, 'shape': 2, }"), "expected a tuple for 'shape'");
  EXPECT_CONTAINS(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (2), }"), "a 1-d shape is written (n,)");
  EXPECT_CONTAINS(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }"),
                  "expected a non-negative integer");
  EXPECT_CONTAINS(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,), }"), "expected ',' or ')'");
  EXPECT_CONTAINS(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }"),
                  "dimension does not fit in 64 bits");
  EXPECT_CONTAINS(parse("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"),
                  "size overflows 64 bits");
  EXPECT_CONTAINS(parse("{'descr': '<f4', 'fortran_order': False, }"), "header lacks 'shape'");
  EXPECT_CONTAINS(parse("{'fortran_order': False, 'shape': (2,)}"), "header lacks 'descr'");
  EXPECT_CONTAINS(parse("{'descr': '<f4', 'descr': '<f4', " + tail), "key 'descr' appears twice");
  EXPECT_CONTAINS(parse("{'descr': '<f4', 'extra': 1, " + tail), "unexpected key 'extra'");
  EXPECT_CONTAINS(parse("{'descr': '<f4' " + tail), "expected ',' or '}'");
  EXPECT_CONTAINS(parse("{'descr': '<f4\\n', " + tail), "escapes in strings are not supported");
  EXPECT_CONTAINS(parse("{'descr': '<f4, " + tail), "malformed header");
  EXPECT_CONTAINS(parse("{'descr': '<f4', " + tail + " x"), "unexpected text after the header dict");
  EXPECT_CONTAINS(parse("['descr', '<f4']"), "malformed header at column 1: expected '{'");
  std::string many_dims = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  for (int i = 0; i < 65; ++i) many_dims += "1, ";
  EXPECT_CONTAINS(parse(many_dims + ")}"), "more than 64 dimensions");
}

TEST(NpyTest, RefusesWrongDataSizes) {
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
  EXPECT_EQ(problem_of([&] { parse_npy(npy_image(dict, std::vector<uint8_t>(12)), "x.npy"); }),
            "truncated: <f4 [2, 2] needs 16 data bytes but 12 follow the header");
  EXPECT_EQ(problem_of([&] { parse_npy(npy_image(dict, std::vector<uint8_t>(17)), "x.npy"); }),
            "1 unexpected bytes after the array data");
}

TEST(NpyTest, ReadErrorsNameTheFile) {
  testing::ScratchDir dir;
  const std::string path = dir.file("broken.npy");
  testing::write_bytes(path, "\x93NUMPY\x01");
  try {
    read_npy(path);
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()), path + ": truncated: 7 bytes, too short for a .npy header");
  }
  EXPECT_THROW(read_npy(dir.file("missing.npy")), UserError);
}

TEST(NpyTest, RefusesToWriteBFloat16) {
  testing::ScratchDir dir;
  const std::string path = dir.file("bf16.npy");
  EXPECT_EQ(problem_of([&] { write_npy(path, sample_array(DType::BF16, {2})); }, path),
            "BF16 arrays have no numpy dtype; convert to float32 before saving as .npy/.npz");
  EXPECT_TRUE(dir.list().empty());
}

}  // namespace
}  // namespace latentlab::io
