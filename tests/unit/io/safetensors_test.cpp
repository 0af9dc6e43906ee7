// safetensors: round trips of every dtype, zero-copy reads, files laid out differently from ours, and one
// test per validation rule of the reference Rust reader (each error must name the file, the tensor and the
// fault). Files written by an independent Python writer are read in tests/reference/arrays_reference_test.cpp.
#include "io/safetensors.h"

#include <gtest/gtest.h>

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

// A file from a header written by hand and `data_bytes` bytes of data.
std::string image(const std::string& header, size_t data_bytes = 0) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + std::string(data_bytes, '\x01');
}

// The full message of the UserError that reading `bytes` from model.safetensors throws.
std::string read_error(const std::string& bytes) {
  testing::ScratchDir dir;
  const std::string path = dir.file("model.safetensors");
  testing::write_bytes(path, bytes);
  try {
    read_safetensors(path);
  } catch (const UserError& e) {
    EXPECT_EQ(e.subject(), path);
    const std::string what = e.what();
    return what.substr(what.find("model.safetensors"));
  }
  return "(no error)";
}

TEST(SafetensorsTest, RoundTripsEveryDTypeWithMetadata) {
  testing::ScratchDir dir;
  NamedArrays arrays;
  for (DType dtype : kAllDTypes)
    arrays.emplace_back(std::string("t_") + dtype_name(dtype), sample_array(dtype, {2, 3, 5}));
  arrays.emplace_back("scalar", sample_array(DType::F64, {}));
  arrays.emplace_back("empty", sample_array(DType::F32, {0, 3}));
  arrays.emplace_back("odd.name/with \"quotes\" and ünïcode", sample_array(DType::U8, {3}));
  const std::map<std::string, std::string> metadata{{"format", "pt"}, {"note", "line\nbreak"}};
  write_safetensors(dir.file("m.safetensors"), arrays, metadata);
  EXPECT_EQ(dir.list(), std::vector<std::string>{"m.safetensors"});

  const SafetensorsFile file = read_safetensors(dir.file("m.safetensors"));
  EXPECT_EQ(file.metadata, metadata);
  ASSERT_EQ(file.arrays.size(), arrays.size());
  for (size_t i = 0; i < arrays.size(); ++i) {
    SCOPED_TRACE(arrays[i].first);
    EXPECT_EQ(file.arrays[i].first, arrays[i].first);
    EXPECT_EQ(file.arrays[i].second.dtype, arrays[i].second.dtype);
    EXPECT_EQ(file.arrays[i].second.shape, arrays[i].second.shape);
    EXPECT_EQ(bytes_of(file.arrays[i].second), bytes_of(arrays[i].second));
  }
}

TEST(SafetensorsTest, ReadsAreZeroCopyIntoOneMap) {
  testing::ScratchDir dir;
  write_safetensors(dir.file("m.safetensors"),
                    {{"a", sample_array(DType::F64, {4})}, {"b", sample_array(DType::F32, {3})}});
  const std::string raw = testing::read_text(dir.file("m.safetensors"));
  SafetensorsFile file = read_safetensors(dir.file("m.safetensors"));
  const Array& a = file.arrays[0].second;
  const Array& b = file.arrays[1].second;
  EXPECT_EQ(a.data + a.nbytes, b.data);  // adjacent in one mapping, no copies
  EXPECT_EQ(a.owner, b.owner);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a.data) % 8, 0u);  // header padded to a multiple of 8
  const size_t header_bytes = static_cast<uint8_t>(raw[0]);
  EXPECT_EQ(8 + header_bytes + static_cast<size_t>(b.data + b.nbytes - a.data), raw.size());  // the data end the file
  // The arrays keep the map alive after the file object is gone.
  Array kept = a;
  file = {};
  EXPECT_EQ(bytes_of(kept), bytes_of(sample_array(DType::F64, {4})));
}

TEST(SafetensorsTest, HeaderIsCompactJsonPaddedToEightBytes) {
  const std::string header =
      safetensors_header_bytes({{"w", sample_array(DType::F32, {2, 2})}}, {{"format", "pt"}}, "x");
  const std::string json =
      R"({"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
  EXPECT_EQ(header.substr(8), json + std::string((8 - json.size() % 8) % 8, ' '));
  EXPECT_EQ(header.size() % 8, 0u);
  EXPECT_EQ(static_cast<uint8_t>(header[0]), header.size() - 8);
}

TEST(SafetensorsTest, EmptyFilesAndFilesWithoutMetadata) {
  testing::ScratchDir dir;
  write_safetensors(dir.file("e.safetensors"), {});
  EXPECT_EQ(testing::read_text(dir.file("e.safetensors")), std::string("\x08\0\0\0\0\0\0\0{}      ", 16));
  const SafetensorsFile file = read_safetensors(dir.file("e.safetensors"));
  EXPECT_TRUE(file.arrays.empty());
  EXPECT_TRUE(file.metadata.empty());
}

TEST(SafetensorsTest, ReturnsDataOrderWhateverTheHeaderOrder) {
  // Written as other tools may: no padding, header keys in another order than the data, null metadata,
  // an unknown field, and an empty tensor sharing its offset with the next one.
  const std::string header = R"({"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]},"__metadata__":null,)"
                             R"("z":{"dtype":"I8","shape":[0],"data_offsets":[0,0],"extra":1},)"
                             R"("a":{"dtype":"I16","shape":[2],"data_offsets":[0,4]}})";
  const auto file = [&] {
    testing::ScratchDir dir;
    testing::write_bytes(dir.file("o.safetensors"), image(header, 6));
    return read_safetensors(dir.file("o.safetensors"));
  }();
  ASSERT_EQ(file.arrays.size(), 3u);
  EXPECT_EQ(file.arrays[0].first, "z");
  EXPECT_EQ(file.arrays[1].first, "a");
  EXPECT_EQ(file.arrays[2].first, "b");
  EXPECT_EQ(bytes_of(file.arrays[2].second), (std::vector<uint8_t>{1, 1}));
  EXPECT_TRUE(file.metadata.empty());
}

TEST(SafetensorsTest, RefusesBrokenFraming) {
  EXPECT_EQ(read_error("abc"),
            "model.safetensors: file is 3 bytes, too short for the 8-byte safetensors header length");
  EXPECT_EQ(read_error(std::string("\x00\xe2\xf5\x05\0\0\0\0", 8) + "{}"),
            "model.safetensors: header length 100000256 exceeds the 100000000-byte limit (not a safetensors file?)");
  EXPECT_EQ(read_error(std::string("\x10\0\0\0\0\0\0\0", 8) + "{}"),
            "model.safetensors: header length 16 runs past the end of the file (2 bytes follow the length field)");
  EXPECT_EQ(read_error(image("")), "model.safetensors: header does not start with '{' (not a safetensors file?)");
  EXPECT_EQ(read_error(image(" {}")), "model.safetensors: header does not start with '{' (not a safetensors file?)");
  EXPECT_CONTAINS(read_error(image("{\"a\":")), "model.safetensors: header is not valid JSON: ");
  EXPECT_CONTAINS(read_error(image("{} x")), "header is not valid JSON");
  EXPECT_CONTAINS(read_error(image("{\"\xff\":1}")), "header is not valid JSON");
  // Deep nesting must neither exhaust the stack while parsing nor while quoting the value in the error.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_CONTAINS(read_error(image("{\"a\":" + deep.substr(0, 100000) + "}")), "header is not valid JSON");
  EXPECT_EQ(read_error(image("{\"__metadata__\":{\"a\":" + deep + "}}")),
            "model.safetensors: __metadata__ must map strings to strings, but 'a' holds a nested list");
  EXPECT_EQ(read_error(image("{\"w\":" + deep + "}")),
            "model.safetensors: tensor 'w': entry is not an object but a nested list");
}

TEST(SafetensorsTest, RefusesBadEntries) {
  const auto entry = [](const std::string& fields, size_t data = 16) {
    return read_error(image("{\"w\":{" + fields + "}}", data));
  };
  EXPECT_EQ(entry(R"("dtype":"F32","shape":[2,2],"data_offsets":[0,12])", 12),
            "model.safetensors: tensor 'w': data_offsets [0, 12] hold 12 bytes but F32 [2, 2] needs 16");
  EXPECT_EQ(entry(R"("dtype":"F128","shape":[2,2],"data_offsets":[0,16])"),
            "model.safetensors: tensor 'w': unsupported dtype \"F128\" (known: F64, F32, F16, BF16, I64, I32, I16, I8, "
            "U8, BOOL)");
  EXPECT_CONTAINS(entry(R"("dtype":"U32","shape":[4],"data_offsets":[0,16])"), "unsupported dtype \"U32\"");
  EXPECT_CONTAINS(entry(R"("dtype":7,"shape":[4],"data_offsets":[0,16])"), "tensor 'w': missing the string 'dtype'");
  EXPECT_CONTAINS(entry(R"("shape":[4],"data_offsets":[0,16])"), "tensor 'w': missing the string 'dtype'");
  EXPECT_EQ(entry(R"("dtype":"F32","shape":[2,-2],"data_offsets":[0,16])"),
            "model.safetensors: tensor 'w': shape [2,-2] is not a list of non-negative integers");
  EXPECT_CONTAINS(entry(R"("dtype":"F32","shape":[2.0,2],"data_offsets":[0,16])"), "is not a list of non-negative");
  EXPECT_CONTAINS(entry(R"("dtype":"F32","shape":[[2],2],"data_offsets":[0,16])"), "a nested list is not a list");
  EXPECT_CONTAINS(entry(R"("dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,16])"), "non-negative");
  EXPECT_CONTAINS(entry(R"("dtype":"F32","shape":"2,2","data_offsets":[0,16])"),
                  "tensor 'w': missing the list 'shape'");
  EXPECT_EQ(entry(R"("dtype":"F32","shape":[2,2],"data_offsets":[0])"),
            "model.safetensors: tensor 'w': data_offsets must be [begin, end] with non-negative integers, not [0]");
  EXPECT_CONTAINS(entry(R"("dtype":"F32","shape":[2,2],"data_offsets":[-1,15])"), "data_offsets must be [begin, end]");
  EXPECT_CONTAINS(entry(R"("dtype":"F32","shape":[2,2])"),
                  "data_offsets must be [begin, end] with non-negative "
                  "integers, not missing");
  EXPECT_EQ(entry(R"("dtype":"F32","shape":[2,2],"data_offsets":[16,0])"),
            "model.safetensors: tensor 'w': data_offsets [16, 0] end before they begin");
  EXPECT_CONTAINS(entry(R"("dtype":"F64","shape":[4294967296,4294967296,2],"data_offsets":[0,16])"),
                  "tensor 'w': F64 [4294967296, 4294967296, 2]: size overflows 64 bits");
  EXPECT_CONTAINS(entry(R"("dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,16])"),
                  "tensor 'w': F64 [2305843009213693952]: size overflows 64 bits");
  EXPECT_EQ(read_error(image(R"({"w":[1,2]})")), "model.safetensors: tensor 'w': entry is not an object but [1,2]");
  EXPECT_EQ(read_error(image(R"({"__metadata__":{"a":1}})")),
            "model.safetensors: __metadata__ must map strings to strings, but 'a' holds 1");
  EXPECT_CONTAINS(read_error(image(R"({"__metadata__":[]})")), "__metadata__ must be an object of strings");
  EXPECT_EQ(read_error(image(R"({"w":{"dtype":"U8","shape":[],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[],)"
                             R"("data_offsets":[0,1]}})",
                             1)),
            "model.safetensors: tensor 'w' appears twice in the header");
}

TEST(SafetensorsTest, RefusesOffsetsThatDoNotTileTheData) {
  const auto two = [](uint64_t b0, uint64_t e0, uint64_t b1, uint64_t e1, size_t data) {
    return read_error(image(fmt::format(R"({{"a":{{"dtype":"U8","shape":[{}],"data_offsets":[{},{}]}},)"
                                        R"("b":{{"dtype":"U8","shape":[{}],"data_offsets":[{},{}]}}}})",
                                        e0 - b0, b0, e0, e1 - b1, b1, e1),
                            data));
  };
  EXPECT_EQ(two(0, 4, 4, 8, 8), "(no error)");
  EXPECT_EQ(two(0, 4, 6, 8, 8),
            "model.safetensors: tensor 'b': data_offsets [6, 8] leave a hole: the previous "
            "tensor 'a' ends at 4");
  EXPECT_EQ(two(2, 4, 4, 8, 8),
            "model.safetensors: tensor 'a': data_offsets [2, 4] leave a hole: the data region starts at 0");
  EXPECT_EQ(two(0, 4, 3, 8, 8),
            "model.safetensors: tensor 'b': data_offsets [3, 8] overlap tensor 'a', which ends at 4");
  EXPECT_EQ(two(0, 4, 0, 4, 4),
            "model.safetensors: tensor 'b': data_offsets [0, 4] overlap tensor 'a', which ends at 4");
  EXPECT_EQ(two(0, 4, 4, 8, 7),
            "model.safetensors: tensor 'b': data_offsets [4, 8] run past the end of the data "
            "region (7 bytes)");
  EXPECT_EQ(two(0, 4, 4, 8, 9), "model.safetensors: the tensors end at byte 8 of the data region but it holds 9 bytes");
  EXPECT_EQ(read_error(image("{}", 3)),
            "model.safetensors: the tensors end at byte 0 of the data region but it holds 3 "
            "bytes");
  EXPECT_CONTAINS(read_error(image(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[18446744073709551615,0]}})")),
                  "end before they begin");
}

TEST(SafetensorsTest, WriterRefusesBadNamesAndLeavesNothing) {
  testing::ScratchDir dir;
  const std::string path = dir.file("w.safetensors");
  const auto write_error = [&](const NamedArrays& arrays, const std::map<std::string, std::string>& metadata = {}) {
    try {
      write_safetensors(path, arrays, metadata);
    } catch (const UserError& e) {
      EXPECT_EQ(e.subject(), path);
      return e.problem();
    }
    return std::string("(no error)");
  };
  const Array a = sample_array(DType::F32, {2});
  EXPECT_EQ(write_error({{"w", a}, {"v", a}, {"w", a}}), "tensor 'w' appears twice");
  EXPECT_EQ(write_error({{"__metadata__", a}}), "'__metadata__' cannot be a tensor name");
  EXPECT_CONTAINS(write_error({{"bad\xff", a}}), "not valid UTF-8");
  EXPECT_CONTAINS(write_error({{"w", a}}, {{"k", "\xc3"}}), "not valid UTF-8");
  EXPECT_TRUE(dir.list().empty());
  testing::write_bytes(path, "old");
  EXPECT_EQ(write_error({{"w", a}, {"w", a}}), "tensor 'w' appears twice");
  EXPECT_EQ(testing::read_text(path), "old");  // the previous file is untouched
}

}  // namespace
}  // namespace latentlab::io
