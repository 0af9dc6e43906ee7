// Cross-checks the array readers and writers against independent implementations (arrays_reference.py):
// numpy's np.save/np.savez/np.savez_compressed and np.load, a separate safetensors writer and reader, and
// torch's bfloat16. Both sides compute the expected values from the element index with the same formula,
// exact in every dtype, so all comparisons are exact. A missing numpy or torch is a failure, not a skip.
#include <gtest/gtest.h>

#include <cstring>

#include "io/npy.h"
#ifdef LATENTLAB_WITH_ZIP
#include "io/npz.h"
#endif
#include "io/safetensors.h"
#include "support/test_support.h"

namespace latentlab::io {
namespace {

const std::vector<std::string> kNumpyCodes = {"f8", "f4", "f2", "i8", "i4", "i2", "i1", "u1", "b1"};
const Shape kShape = {2, 3, 4};

DType dtype_of(const std::string& code) {
  if (code == "bf16") return DType::BF16;
  return *dtype_from_numpy(code);
}

// A float that is exact in half precision (all values() produces) as IEEE binary16 bits.
uint16_t exact_half(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  if ((bits & 0x7fffffff) == 0) return sign;
  const auto exponent = static_cast<uint16_t>(((bits >> 23) & 0xff) - 127 + 15);
  return static_cast<uint16_t>(sign | (exponent << 10) | ((bits & 0x7fffff) >> 13));
}

// values(code, shape) of arrays_reference.py: element i (C order) is a fixed function of i.
void put_value(const std::string& code, int64_t i, uint8_t* out) {
  const double f = static_cast<double>((i % 97) - 40) * 0.25;
  const int64_t base = ((i * 37) % 251) - 125;
  const auto store = [out](auto v) { std::memcpy(out, &v, sizeof v); };
  if (code == "f8")
    store(f);
  else if (code == "f4")
    store(static_cast<float>(f));
  else if (code == "f2")
    store(exact_half(static_cast<float>(f)));
  else if (code == "bf16") {
    const auto v = static_cast<float>(f);
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    store(static_cast<uint16_t>(bits >> 16));
  } else if (code == "i8")
    store(static_cast<int64_t>(base * 1000000000007));
  else if (code == "i4")
    store(static_cast<int32_t>(base * 1000003));
  else if (code == "i2")
    store(static_cast<int16_t>(base * 100));
  else if (code == "i1")
    store(static_cast<int8_t>(base));
  else if (code == "u1")
    store(static_cast<uint8_t>((i * 37) % 251));
  else if (code == "b1")
    store(static_cast<uint8_t>(i % 3 == 0));
  else
    FAIL() << "unknown code " << code;
}

Array expected(const std::string& code, const Shape& shape) {
  const DType dtype = dtype_of(code);
  const auto n = static_cast<int64_t>(checked_numel(shape, "test"));
  auto buffer = std::make_shared<std::vector<uint8_t>>(n * dtype_size(dtype));
  for (int64_t i = 0; i < n; ++i) put_value(code, i, buffer->data() + i * dtype_size(dtype));
  return Array::from_buffer(dtype, shape, buffer);
}

void expect_equal(const Array& got, const Array& want, const std::string& where) {
  SCOPED_TRACE(where);
  EXPECT_EQ(dtype_name(got.dtype), dtype_name(want.dtype));
  EXPECT_EQ(shape_string(got.shape), shape_string(want.shape));
  ASSERT_EQ(got.nbytes, want.nbytes);
  EXPECT_TRUE(std::equal(got.data, got.data + got.nbytes, want.data)) << "values differ";
}

void require_reference_python() {
  ASSERT_TRUE(testing::reference_python_has("numpy, torch"))
      << LATENTLAB_REFERENCE_PYTHON << " cannot import numpy and torch: install python3-numpy and python3-torch "
      << "(the reference checks are required, not optional)";
}

// The files numpy and the reference writer make, written once for the suite.
class ArraysReferenceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::ScratchDir();
    if (testing::reference_python_has("numpy, torch"))
      write_result_ = testing::run_reference_python("arrays_reference.py", "write " + dir_->path());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    require_reference_python();
    ASSERT_EQ(write_result_.exit_code, 0) << write_result_.err;
  }
  static std::string file(const std::string& name) { return dir_->file(name); }

  static testing::ScratchDir* dir_;
  static testing::CommandResult write_result_;
};
testing::ScratchDir* ArraysReferenceTest::dir_ = nullptr;
testing::CommandResult ArraysReferenceTest::write_result_;

TEST_F(ArraysReferenceTest, ReadsNpyAndSafetensorsThatNumpyAndAnIndependentWriterWrote) {
  for (const auto& code : kNumpyCodes) {
    expect_equal(read_npy(file("c_" + code + ".npy")), expected(code, kShape), "c_" + code);
    expect_equal(read_npy(file("fortran_" + code + ".npy")), expected(code, kShape), "fortran_" + code);
    if (code[1] != '1') expect_equal(read_npy(file("big_" + code + ".npy")), expected(code, kShape), "big_" + code);
  }
  expect_equal(read_npy(file("big_fortran_f8.npy")), expected("f8", kShape), "big_fortran_f8");
  expect_equal(read_npy(file("scalar_f8.npy")), expected("f8", {}), "scalar_f8");
  expect_equal(read_npy(file("empty_f4.npy")), expected("f4", {0, 3}), "empty_f4");
  // x.T of a (4, 5) array: element [i, j] is x[j, i] = v(5 j + i).
  const Array x = expected("f4", {4, 5});
  std::vector<float> transposed;
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 4; ++j) transposed.push_back(reinterpret_cast<const float*>(x.data)[5 * j + i]);
  expect_equal(read_npy(file("transposed_f4.npy")),
               Array::copy_of(DType::F32, {5, 4}, transposed.data(), transposed.size() * 4), "transposed_f4");

  const SafetensorsFile reference = read_safetensors(file("reference.safetensors"));
  EXPECT_EQ(reference.metadata,
            (std::map<std::string, std::string>{{"format", "pt"}, {"source", "arrays_reference.py"}}));
  std::vector<std::string> codes = kNumpyCodes;
  codes.insert(codes.begin() + 3, "bf16");
  ASSERT_EQ(reference.arrays.size(), codes.size() + 2);
  for (size_t i = 0; i < codes.size(); ++i) {
    EXPECT_EQ(reference.arrays[i].first, "t_" + codes[i]);
    expect_equal(reference.arrays[i].second, expected(codes[i], kShape), "safetensors t_" + codes[i]);
  }
  expect_equal(reference.arrays[codes.size()].second, expected("f8", {}), "safetensors scalar");
  expect_equal(reference.arrays[codes.size() + 1].second, expected("f4", {0, 3}), "safetensors empty");

  const SafetensorsFile unpadded = read_safetensors(file("unpadded.safetensors"));
  ASSERT_EQ(unpadded.arrays.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(unpadded.arrays[i].first, "t_" + codes[i]);  // data order, not the reversed header order
    expect_equal(unpadded.arrays[i].second, expected(codes[i], kShape), "unpadded t_" + codes[i]);
  }
}

#ifdef LATENTLAB_WITH_ZIP
TEST_F(ArraysReferenceTest, ReadsNpzThatNumpySavezWrote) {
  for (const std::string name : {"stored.npz", "compressed.npz"}) {
    const NamedArrays arrays = read_npz(file(name));
    ASSERT_EQ(arrays.size(), kNumpyCodes.size()) << name;
    for (size_t i = 0; i < arrays.size(); ++i) {
      EXPECT_EQ(arrays[i].first, kNumpyCodes[i]);
      expect_equal(arrays[i].second, expected(kNumpyCodes[i], kShape), name + ":" + kNumpyCodes[i]);
    }
  }
  for (const std::string name : {"adm.npz", "adm_compressed.npz"}) {
    NpzReader adm(file(name));
    EXPECT_EQ(adm.names(), (std::vector<std::string>{"arr_0", "arr_1"}));
    EXPECT_EQ(adm.info("arr_0").shape, (Shape{10, 8, 8, 3}));
    const Array images = expected("u1", {10, 8, 8, 3});
    for (int64_t first = 0; first < 10; first += 4) {
      const int64_t count = std::min<int64_t>(4, 10 - first);
      const size_t row = 8 * 8 * 3;
      expect_equal(adm.read_rows("arr_0", first, count),
                   Array::copy_of(DType::U8, {count, 8, 8, 3}, images.data + first * row, count * row),
                   name + " rows from " + std::to_string(first));
    }
    expect_equal(adm.read("arr_1"), expected("i8", {10}), name + ":arr_1");
  }
  NpzReader stats(file("fid_stats.npz"));
  expect_equal(stats.read("mu"), expected("f8", {16}), "mu");
  expect_equal(stats.read("sigma"), expected("f8", {16, 16}), "sigma");
}
#endif  // LATENTLAB_WITH_ZIP

TEST(ArraysReferenceWriteTest, NumpyAndAnIndependentReaderReadWhatWeWrote) {
  require_reference_python();
  testing::ScratchDir dir;
  NamedArrays arrays;
  for (const auto& code : kNumpyCodes) {
    write_npy(dir.file("cpp_" + code + ".npy"), expected(code, kShape));
    arrays.emplace_back(code, expected(code, kShape));
  }
  write_npy(dir.file("cpp_scalar_f8.npy"), expected("f8", {}));
  write_npy(dir.file("cpp_empty_f4.npy"), expected("f4", {0, 3}));
#ifdef LATENTLAB_WITH_ZIP
  write_npz(dir.file("cpp_stored.npz"), arrays, false);
  write_npz(dir.file("cpp_compressed.npz"), arrays, true);
  const std::string npz_option;
#else
  const std::string npz_option = " --no-npz";  // this build has no .npz support
#endif

  NamedArrays tensors;
  for (const auto& [code, array] : arrays) tensors.emplace_back("t_" + code, array);
  tensors.insert(tensors.begin() + 3, {"t_bf16", expected("bf16", kShape)});
  write_safetensors(dir.file("cpp.safetensors"), tensors, {{"format", "pt"}, {"writer", "latentlab"}});

  const auto r = testing::run_reference_python("arrays_reference.py", "check " + dir.path() + npz_option);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

}  // namespace
}  // namespace latentlab::io
