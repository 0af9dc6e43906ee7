// io::read_pth against real torch.save output: tests/reference/make_pth.py (Debian's python3-torch) saves
// arange-based tensors in both serialisations and pickle protocols 2 and 4; this test recomputes every
// tensor with ATen from the same formulas and compares exactly (the values are exact in their dtypes, and
// ATen runs the same elementwise kernels, so there is no tolerance).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <memory>

#include "io/pth.h"
#include "io/tensor_convert.h"
#include "support/test_support.h"

namespace latentlab::io {
namespace {

using testing::CommandResult;
using testing::ScratchDir;

using Expected = std::vector<std::pair<std::string, at::Tensor>>;

Expected plain_state_dict() {
  const auto f32 = at::kFloat, f64 = at::kDouble;
  const at::Tensor base = at::arange(16, f32).reshape({4, 4});
  const at::Tensor line = at::arange(20, f64);
  return {
      {"f32", at::arange(24, f32).reshape({2, 3, 4}) * 0.5 - 3},
      {"f64", at::arange(12, f64).reshape({3, 4}) / 7},
      {"f16", (at::arange(10, f32) * 0.25).to(at::kHalf)},
      {"bf16", (at::arange(10, f32) * 0.5 - 2).to(at::kBFloat16)},
      {"i64", at::arange(-5, 5, at::kLong) * 1000003},
      {"i32", at::arange(6, at::kInt).reshape({2, 3}) * -7},
      {"i16", at::arange(-4, 4, at::kShort)},
      {"i8", at::arange(-4, 4, at::kChar)},
      {"u8", at::arange(256, at::kLong).to(at::kByte)},
      {"bool", at::remainder(at::arange(7, at::kLong), 3).eq(0)},
      {"scalar_f32", at::scalar_tensor(3.5, f32)},
      {"scalar_i64", at::scalar_tensor(-7, at::kLong)},
      {"empty", at::zeros({0}, f32)},
      {"empty_2d", at::zeros({2, 0, 3}, f64)},
      {"transposed", at::arange(12, f32).reshape({3, 4}).t()},
      {"permuted", at::arange(24, at::kInt).reshape({2, 3, 4}).permute({2, 0, 1})},
      {"sliced", line.slice(0, 5, 15)},
      {"strided", line.slice(0, 1, 20, 3)},
      {"expanded", at::arange(3, f32).reshape({3, 1}).expand({3, 4})},
      {"shared_a", base},
      {"shared_b", base[1]},
      {"shared_c", base.select(1, 2)},
      {"param", at::arange(6, f32).reshape({2, 3}) / 4},
  };
}

Expected small_state_dict(double shift) {
  return {{"a", at::arange(6, at::kFloat).reshape({2, 3}) + shift},
          {"b", at::arange(4, at::kLong) + static_cast<int64_t>(shift)}};
}

// nn.Sequential(Linear(3, 4), BatchNorm1d(4), Linear(4, 2)); entry i = arange * 0.01 + i (ints: arange + i).
Expected module_state_dict() {
  const std::vector<std::tuple<std::string, std::vector<int64_t>, at::ScalarType>> entries = {
      {"0.weight", {4, 3}, at::kFloat},
      {"0.bias", {4}, at::kFloat},
      {"1.weight", {4}, at::kFloat},
      {"1.bias", {4}, at::kFloat},
      {"1.running_mean", {4}, at::kFloat},
      {"1.running_var", {4}, at::kFloat},
      {"1.num_batches_tracked", {}, at::kLong},
      {"2.weight", {2, 4}, at::kFloat},
      {"2.bias", {2}, at::kFloat}};
  Expected out;
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& [name, shape, type] = entries[i];
    const at::Tensor values = at::arange(c10::multiply_integers(shape), type).reshape(shape);
    out.emplace_back(name,
                     type == at::kFloat ? values * 0.01 + static_cast<double>(i) : values + static_cast<int64_t>(i));
  }
  return out;
}

void expect_arrays(const NamedArrays& actual, const Expected& expected, const std::string& file) {
  ASSERT_EQ(actual.size(), expected.size()) << file;
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& [name, want] = expected[i];
    const Array& got = actual[i].second;
    SCOPED_TRACE(file + ": " + name);
    EXPECT_EQ(actual[i].first, name);
    EXPECT_EQ(got.dtype, from_scalar_type(want.scalar_type(), name));
    EXPECT_EQ(got.shape, Shape(want.sizes().begin(), want.sizes().end()));
    if (got.shape != Shape(want.sizes().begin(), want.sizes().end())) continue;
    EXPECT_TRUE(at::equal(to_tensor(got).to(at::kDouble), want.contiguous().to(at::kDouble)))
        << "got " << to_tensor(got) << "\nwant " << want;
  }
}

class PthReference : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<ScratchDir>();
    has_torch_ = testing::reference_python_has("torch");
    if (has_torch_) made_ = testing::run_reference_python("make_pth.py", dir_->path());
  }
  static void TearDownTestSuite() { dir_.reset(); }

  void SetUp() override {
    ASSERT_TRUE(has_torch_) << LATENTLAB_REFERENCE_PYTHON
                            << " cannot import torch: install Debian's python3-torch (CI does); this test compares "
                               "against real torch.save files and must not be skipped";
    ASSERT_EQ(made_.exit_code, 0) << "make_pth.py failed:\n" << made_.err;
  }

  // Every file make_pth.py wrote for `object`: both serialisations (zip only with libzip), protocols 2 and 4.
  static std::vector<std::string> files(const std::string& object) {
    std::vector<std::string> out;
#ifdef LATENTLAB_WITH_ZIP
    for (const char* format : {"zip", "legacy"})
#else
    for (const char* format : {"legacy"})
#endif
      for (const char* protocol : {"p2", "p4"})
        out.push_back(dir_->file(object + "_" + format + "_" + protocol + ".pth"));
    return out;
  }

  static std::unique_ptr<ScratchDir> dir_;
  static bool has_torch_;
  static CommandResult made_;
};

std::unique_ptr<ScratchDir> PthReference::dir_;
bool PthReference::has_torch_ = false;
CommandResult PthReference::made_;

TEST_F(PthReference, EveryDtypeAndViewLayout) {
  for (const std::string& file : files("plain")) {
    expect_arrays(read_pth(file), plain_state_dict(), file);
    const PthFile pth(file);
    EXPECT_EQ(pth.format(), file.find("_zip_") != std::string::npos ? PthFile::Format::Zip : PthFile::Format::Legacy);
    const PickleValue* param = pth.root().find("param");
    ASSERT_NE(param, nullptr);
    ASSERT_TRUE(param->is(PickleValue::Kind::Tensor));
    EXPECT_TRUE(param->tensor->parameter);
    EXPECT_TRUE(param->tensor->requires_grad);
    // shared_a/b/c are views of one storage, as torch.save keeps them.
    const auto& a = *pth.root().find("shared_a")->tensor;
    const auto& c = *pth.root().find("shared_c")->tensor;
    EXPECT_EQ(a.storage->key, c.storage->key);
    EXPECT_EQ(c.storage_offset, 2u);
    EXPECT_EQ(c.stride, Shape{4});
  }
}

TEST_F(PthReference, NestedStateDictAndMetadata) {
  for (const std::string& file : files("nested")) {
    expect_arrays(read_pth(file), small_state_dict(0), file);
    const PthFile pth(file);
    const auto items = flatten(pth.root(), file);
    ASSERT_EQ(items.size(), 3u);
    EXPECT_EQ(items[0].name, "state_dict.a");
    EXPECT_EQ(items[2].name, "epoch");
    EXPECT_TRUE(items[2].value->is(PickleValue::Kind::Int));
    EXPECT_EQ(items[2].value->integer, 3);
  }
}

TEST_F(PthReference, ModelAndEma) {
  for (const std::string& file : files("model_ema")) {
    expect_arrays(read_pth(file), small_state_dict(0), file);
    expect_arrays(read_pth(file, "ema"), small_state_dict(0.5), file + " [ema]");
    expect_arrays(read_pth(file, "model"), small_state_dict(0), file + " [model]");
  }
}

TEST_F(PthReference, ModuleStateDict) {
  for (const std::string& file : files("module")) {
    expect_arrays(read_pth(file), module_state_dict(), file);
    // state_dict() is an OrderedDict whose _metadata attribute BUILD attaches as state.
    const PthFile pth(file);
    ASSERT_NE(pth.root().state, nullptr);
    const PickleValue* metadata = pth.root().state->find("_metadata");
    ASSERT_NE(metadata, nullptr);
    EXPECT_TRUE(metadata->is(PickleValue::Kind::Dict));
  }
}

}  // namespace
}  // namespace latentlab::io
