// Broken array files fail cleanly (STYLE.md "broken files fail cleanly", like faiss tests/test_io_corrupted.cpp):
// every case below must end in success or a latentlab::UserError — never a crash, a hang, another exception
// type or a sanitizer report. The corpus: every truncation of valid safetensors, .npy and .npz files,
// hand-made broken headers, zip archives whose size fields lie, and seeded random mutations (byte values,
// bit flips, digits of the headers, truncations, insertions). When a mutated file still reads, every byte of
// every array is touched so that AddressSanitizer sees any pointer past the data.
#include <gtest/gtest.h>

#include <iostream>
#include <random>
#include <typeinfo>

#include "core/error.h"
#include "io/npy.h"
#include "io/safetensors.h"
#ifdef LATENTLAB_WITH_ZIP
#include "io/npz.h"
#include "io/zip_archive.h"
#endif
#include "support/sample_arrays.h"
#include "support/test_support.h"

namespace latentlab::io {
namespace {

using testing::bytes_of;
using testing::kAllDTypes;
using testing::kNumpyDTypes;
using testing::sample_array;

struct Outcome {
  int ok = 0, refused = 0;
  ~Outcome() {  // how much of the corpus still read: a mutator that only breaks files explores little
    ::testing::Test::RecordProperty("read", ok);
    ::testing::Test::RecordProperty("refused", refused);
    std::cout << "  " << ok << " read, " << refused << " refused\n";
  }
};

// Reads every byte, so that a bad pointer shows up under ASan; checks the array invariant.
uint64_t touch(const Array& a) {
  EXPECT_EQ(a.nbytes, checked_numel(a.shape, "touch") * dtype_size(a.dtype));
  uint64_t sum = 0;
  for (size_t i = 0; i < a.nbytes; ++i) sum += a.data[i];
  return sum;
}

template <typename F>
void expect_clean(Outcome& outcome, const std::string& what, F&& step) {
  try {
    step();
    ++outcome.ok;
  } catch (const UserError&) {
    ++outcome.refused;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": " << typeid(e).name() << ": " << e.what();
  } catch (...) {
    ADD_FAILURE() << what << ": an exception of unknown type";
  }
}

NamedArrays sample_arrays() {
  return {{"w", sample_array(DType::F32, {2, 3})}, {"b", sample_array(DType::F16, {3})},
          {"i", sample_array(DType::I64, {2})},    {"flag", sample_array(DType::Bool, {4})},
          {"s", sample_array(DType::F64, {})},     {"e", sample_array(DType::U8, {0, 2})}};
}

std::string valid_safetensors() {
  NamedArrays arrays = sample_arrays();
  arrays.emplace_back("h", sample_array(DType::BF16, {2}));
  std::string out = safetensors_header_bytes(arrays, {{"format", "pt"}}, "x");
  for (const auto& [name, a] : arrays) out.append(reinterpret_cast<const char*>(a.data), a.nbytes);
  return out;
}

std::string as_string(const std::vector<uint8_t>& v) {
  return {v.begin(), v.end()};
}

// Valid .npy images: C order, then big-endian Fortran order (made by editing the header in place).
std::vector<std::string> valid_npys() {
  std::string c = as_string(serialize_npy(sample_array(DType::F32, {3, 4})));
  std::string f = as_string(serialize_npy(sample_array(DType::I16, {2, 3, 2})));
  f.replace(f.find("'<i2'"), 5, "'>i2'");
  f.replace(f.find("False"), 5, "True ");
  return {c, f, as_string(serialize_npy(sample_array(DType::F64, {})))};
}

std::string mutate(const std::string& valid, std::mt19937_64& rng) {
  std::string m = valid;
  const int kind = static_cast<int>(rng() % 5);
  const int edits = 1 + static_cast<int>(rng() % 4);
  std::vector<size_t> digits;
  for (size_t i = 0; i < m.size() && i < 512; ++i)
    if (m[i] >= '0' && m[i] <= '9') digits.push_back(i);
  for (int e = 0; e < edits && !m.empty(); ++e) {
    const size_t pos = rng() % m.size();
    switch (kind) {
      case 0:
        m[pos] = static_cast<char>(rng());
        break;
      case 1:
        m[pos] = static_cast<char>(m[pos] ^ (1 << (rng() % 8)));
        break;
      case 2:  // numbers in the header: sizes, offsets, shapes
        if (!digits.empty()) m[digits[rng() % digits.size()]] = static_cast<char>('0' + rng() % 10);
        break;
      case 3:
        m.resize(pos);
        break;
      default:
        m.insert(pos, std::string(1 + rng() % 16, static_cast<char>(rng())));
        break;
    }
  }
  return m;
}

void parse_safetensors_string(const std::string& bytes) {
  const SafetensorsFile file =
      parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "fuzz.safetensors", nullptr);
  for (const auto& [name, a] : file.arrays) touch(a);
}

void parse_npy_string(const std::string& bytes) {
  touch(parse_npy(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "fuzz.npy"));
}

TEST(ArraysFuzzTest, SafetensorsTruncatedAtEveryLength) {
  const std::string valid = valid_safetensors();
  Outcome outcome;
  for (size_t n = 0; n <= valid.size(); ++n)
    expect_clean(outcome, "truncated to " + std::to_string(n), [&] { parse_safetensors_string(valid.substr(0, n)); });
  EXPECT_EQ(outcome.ok, 1);  // only the whole file
}

TEST(ArraysFuzzTest, SafetensorsBrokenHeaders) {
  const auto with_header = [](const std::string& header, size_t data) {
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
    return out + header + std::string(data, '\x7f');
  };
  const auto one = [&](const std::string& dtype, const std::string& shape, const std::string& offsets, size_t data) {
    return with_header(R"({"t":{"dtype":")" + dtype + R"(","shape":)" + shape + R"(,"data_offsets":)" + offsets + "}}",
                       data);
  };
  std::vector<std::string> corpus = {
      std::string("\xff\xff\xff\xff\xff\xff\xff\xff{}", 10),  // header length past EOF and the limit
      std::string("\xf8\xff\xff\xff\xff\xff\xff\x7f", 8),     // 8 + N overflows
      with_header("{}", 0).substr(0, 9),                      // header length past EOF
      one("F32", "[2]", "[0,8]", 8),                          // valid
      one("F32", "[2]", "[0,8]", 7),                          // oversized offsets
      one("F32", "[2]", "[0,8]", 9),                          // bytes left over
      one("F32", "[2]", "[1,9]", 9),                          // hole
      one("F32", "[2]", "[8,0]", 8),                          // reversed
      one("F32", "[2]", "[18446744073709551608,18446744073709551615]", 8),
      one("F32", "[4611686018427387904]", "[0,0]", 0),  // bytes overflow
      one("F32", "[4294967296,4294967296,4294967296]", "[0,0]", 0),
      one("F32", "[18446744073709551616]", "[0,8]", 8),  // parsed as a float
      one("F32", "[-1]", "[0,8]", 8),
      one("F32", "[1e3]", "[0,8]", 8),
      one("f32", "[2]", "[0,8]", 8),
      one("", "[2]", "[0,8]", 8),
      one("F32\\u0000", "[2]", "[0,8]", 8),
      one("F32", "[2]", "[0,8,16]", 16),
      one("F32", "[2]", "{}", 8),
      one("F32", "null", "[0,8]", 8),
      with_header(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"  // overlap
                  R"("b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}})",
                  6),
      with_header(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"  // duplicate
                  R"("a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})",
                  8),
      with_header(R"({"__metadata__":{"k":{"x":1}}})", 0),
      with_header(R"({"__metadata__":"x"})", 0),
      with_header("{\"" + std::string(4096, 'k') + "\":1}", 0),
      with_header("{\"a\":" + std::string(50000, '[') + std::string(50000, ']') + "}", 0),
      with_header("{\"a\":" + std::string(50000, '{'), 0),
      with_header("{\"a\":\"\\ud800\"}", 0),
      with_header(std::string("{\"a\0\":1}", 8), 0),
  };
  Outcome outcome;
  for (const auto& bytes : corpus) expect_clean(outcome, "corpus", [&] { parse_safetensors_string(bytes); });
  EXPECT_EQ(outcome.ok, 1);
}

TEST(ArraysFuzzTest, SafetensorsRandomMutations) {
  const std::string valid = valid_safetensors();
  std::mt19937_64 rng(20240611);
  Outcome outcome;
  for (int i = 0; i < 10000; ++i) {
    const std::string bytes = mutate(valid, rng);
    expect_clean(outcome, "mutation " + std::to_string(i), [&] { parse_safetensors_string(bytes); });
  }
  EXPECT_GT(outcome.ok, 0);
  EXPECT_GT(outcome.refused, 0);
}

TEST(ArraysFuzzTest, NpyTruncatedMalformedAndMutated) {
  Outcome outcome;
  for (const auto& valid : valid_npys())
    for (size_t n = 0; n < valid.size(); ++n)
      expect_clean(outcome, "truncated", [&] { parse_npy_string(valid.substr(0, n)); });
  EXPECT_EQ(outcome.ok, 0);

  const std::string pre = std::string("\x93NUMPY\x01\x00", 8);
  const auto image = [&](const std::string& dict, size_t data) {
    const std::string header = dict + "\n";
    return pre + static_cast<char>(header.size() & 0xff) + static_cast<char>(header.size() >> 8) + header +
           std::string(data, '\x3c');
  };
  for (const std::string dict :
       {"{", "}", "{}", "{'descr'}", "{'descr': }", "{'descr': '<f4'", "{'descr': '<f4', 'fortran_order': Tru",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (,)}", "{'descr': '', 'fortran_order': False, 'shape': ()}",
        "{'descr': '<', 'fortran_order': False, 'shape': ()}", "{'descr': '|O8', 'fortran_order': False, 'shape': ()}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (18446744073709551615,)}",
        "{'descr': '<f8', 'fortran_order': True, 'shape': (2305843009213693952, 0)}",
        "{'descr': '<f8', 'fortran_order': True, 'shape': (0, 2305843009213693952)}",
        "{'descr': '<f8', 'fortran_order': True, 'shape': (3037000500, 3037000500)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': ()}\x00\x01"})
    expect_clean(outcome, dict, [&] { parse_npy_string(image(dict, 8)); });

  std::mt19937_64 rng(7);
  for (int i = 0; i < 10000; ++i) {
    const auto npys = valid_npys();
    const std::string bytes = mutate(npys[i % npys.size()], rng);
    expect_clean(outcome, "mutation " + std::to_string(i), [&] { parse_npy_string(bytes); });
  }
  EXPECT_GT(outcome.ok, 0);
}

#ifdef LATENTLAB_WITH_ZIP  // .npz needs libzip
// Opens an archive and reads everything in it every way the API allows; each step may fail on its own.
void read_npz_everything(Outcome& outcome, const std::string& path) {
  expect_clean(outcome, path, [&] {
    NpzReader reader(path);
    for (const auto& name : reader.names()) {
      const NpyHeader& info = reader.info(name);
      expect_clean(outcome, path + ":" + name, [&] { touch(reader.read(name)); });
      if (!info.shape.empty() && !(info.fortran_order && info.shape.size() > 1))
        expect_clean(outcome, path + ":" + name + " rows", [&] {
          const int64_t rows = info.shape[0];
          touch(reader.read_rows(name, rows / 2, rows - rows / 2));
        });
    }
  });
}

// Little-endian u32 fields of every zip header: local (PK\3\4) and central (PK\1\2) sizes.
std::vector<size_t> zip_size_fields(const std::string& zip) {
  std::vector<size_t> at;
  for (size_t p = zip.find("PK\3\4"); p != std::string::npos; p = zip.find("PK\3\4", p + 1))
    at.insert(at.end(), {p + 18, p + 22});
  for (size_t p = zip.find("PK\1\2"); p != std::string::npos; p = zip.find("PK\1\2", p + 1))
    at.insert(at.end(), {p + 20, p + 24});
  return at;
}

TEST(ArraysFuzzTest, NpzTruncatedLyingAndMutated) {
  testing::ScratchDir dir;
  NamedArrays arrays = sample_arrays();
  arrays.emplace_back("arr_0", sample_array(DType::U8, {4, 2, 2, 3}));
  std::vector<std::string> valid;
  for (bool compressed : {false, true}) {
    write_npz(dir.file("v.npz"), arrays, compressed);
    valid.push_back(testing::read_text(dir.file("v.npz")));
  }
  const std::string path = dir.file("f.npz");
  Outcome outcome;
  for (const auto& zip : valid)
    for (size_t n = 0; n < zip.size(); n += 1 + n / 512) {
      testing::write_bytes(path, zip.substr(0, n));
      read_npz_everything(outcome, path);
    }

  // Size fields that lie, one at a time and all together.
  for (const auto& zip : valid)
    for (uint32_t value : {0u, 1u, 127u, 200u, 0x10000u, 0x7fffffffu, 0xfffffffeu, 0xffffffffu}) {
      const auto fields = zip_size_fields(zip);
      for (size_t k = 0; k <= fields.size(); ++k) {
        std::string m = zip;
        for (size_t j = 0; j < fields.size(); ++j)
          if (j == k || k == fields.size())
            for (int b = 0; b < 4; ++b) m[fields[j] + b] = static_cast<char>((value >> (8 * b)) & 0xff);
        testing::write_bytes(path, m);
        read_npz_everything(outcome, path);
      }
    }

  // An archive whose member is not npy, and one with a non-.npy member.
  ZipWriter writer(path, false);
  writer.add("a.npy", std::vector<uint8_t>(300, 'x'));
  writer.add("b.txt", {});
  writer.commit();
  read_npz_everything(outcome, path);

  std::mt19937_64 rng(99);
  for (int i = 0; i < 3000; ++i) {
    testing::write_bytes(path, mutate(valid[i % 2], rng));
    read_npz_everything(outcome, path);
  }
  EXPECT_GT(outcome.ok, 0);
  EXPECT_GT(outcome.refused, 0);
}

#endif  // LATENTLAB_WITH_ZIP

}  // namespace
}  // namespace latentlab::io
