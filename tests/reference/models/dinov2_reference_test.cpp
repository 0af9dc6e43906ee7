// DINOv2 against an independent PyTorch implementation (dinov2_reference.py, written from the dinov2
// semantics with Debian's python3-torch): seeded random weights saved by torch.save in the published key
// layout, tiny configs (64-d, 2 blocks, 4 heads, patch 14, a 4×4 pretraining grid) with a GELU MLP, a fused
// SwiGLU and 4 register tokens, on three inputs: 5×3 patches (non-square: the offset/scale-factor bicubic
// path), 4×4 (the grid itself: no resampling) and 3×3 (downsampling: antialias matters for the register
// model). CLS and patch tokens, and two intermediate blocks, must agree within 1e-5 absolute: both sides are
// float32 with different summation orders (fused attention against matmul + softmax), which leaves ~1e-6 on
// values of magnitude ~1. Parameter counts of the presets must equal the reference's. A missing torch or
// numpy is a failure.
#include <gtest/gtest.h>

#include <iostream>
#include <sstream>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "io/npz.h"
#include "io/tensor_convert.h"
#include "models/dinov2.h"
#include "models/dinov2_weights.h"
#include "support/tensor_compare.h"
#include "support/test_support.h"

namespace latentlab::models {
namespace {

using testing::max_abs_diff;
using testing::ScratchDir;

constexpr double kDinoV2Tolerance = 1e-5;

testing::CommandResult dinov2_reference(const std::string& arguments) {
  return testing::run_reference_python("models/dinov2_reference.py", arguments);
}

void expect_matches(const DinoV2& model, io::NpzReader& expected, const std::string& config, bool intermediate) {
  auto array = [&](const std::string& name) { return io::to_tensor(expected.read(name)); };
  at::NoGradGuard no_grad;
  for (const std::string tag : {"a", "b", "c"}) {
    SCOPED_TRACE(config + " input " + tag);
    const DinoV2Outputs out =
        model.forward(array("images_" + tag), intermediate ? std::vector<int64_t>{1, 0} : std::vector<int64_t>{});
    std::map<std::string, at::Tensor> got = {{"cls", out.cls}, {"patch", out.patch_tokens}};
    if (intermediate) {
      got["block1"] = out.intermediate.at(0);
      got["block0"] = out.intermediate.at(1);
    }
    for (const auto& [name, tensor] : got) {
      const at::Tensor want = array(name + "_" + tag);
      const double diff = max_abs_diff(tensor, want);
      std::cout << "dinov2 reference " << config << " " << name << "_" << tag << ": max |C++ - PyTorch| = " << diff
                << " (max |value| " << want.abs().max().item<double>() << ")\n";
      EXPECT_LE(diff, kDinoV2Tolerance) << name;
    }
  }
}

class DinoV2ReferenceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DinoV2ReferenceTest, MatchesThePyTorchReferenceOnSeededWeights) {
  ASSERT_TRUE(testing::reference_python_has("torch, numpy")) << "the reference python needs python3-torch";
  const std::string config = GetParam();
  ScratchDir dir;
  const auto made = dinov2_reference("write " + dir.path() + " --config " + config + " --seed 11");
  ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
  DinoV2LoadOptions options;
  options.num_heads = 4;  // a 64-d model matches no preset
  DinoV2WeightsInfo info;
  const auto model = load_dinov2(dir.file("weights.pth"), options, &info);
  EXPECT_EQ(info.format, "pth-zip");
  EXPECT_EQ(info.sha256.size(), 64u);
  EXPECT_EQ(model->config().pos_grid, 4);
  EXPECT_EQ(model->config().ffn, config == "tiny-swiglu" ? DinoV2Ffn::SwiGLU : DinoV2Ffn::Mlp);
  EXPECT_EQ(model->config().num_register_tokens, config == "tiny-reg" ? 4 : 0);
  io::NpzReader expected(dir.file("expected.npz"));
  expect_matches(*model, expected, config, config == "tiny");

  if (config == "tiny") {  // block_chunks=1 names (blocks.0.N.*) nested under "model": the same network
    DinoV2WeightsInfo chunked_info;
    const auto chunked = load_dinov2(dir.file("weights_chunked.pth"), options, &chunked_info);
    EXPECT_EQ(chunked_info.renamed, "chunked blocks");
    expect_matches(*chunked, expected, "tiny chunked", false);
  }
}

INSTANTIATE_TEST_SUITE_P(Configs, DinoV2ReferenceTest, ::testing::Values("tiny", "tiny-swiglu", "tiny-reg"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

TEST(DinoV2ReferenceCountTest, ParameterCountsMatchTheReference) {
  ASSERT_TRUE(testing::reference_python_has("torch, numpy"));
  // Against the closed form, for every size (the unit test checks that a built ViT-S/14 and the tiny
  // models have exactly their closed-form count).
  const auto counts = dinov2_reference("counts vits14 vitb14 vitl14 vitg14 vits14_reg4 vitg14_reg4");
  ASSERT_EQ(counts.exit_code, 0) << counts.err;
  std::istringstream lines(counts.out);
  std::string name;
  int64_t count = 0;
  size_t seen = 0;
  while (lines >> name >> count) {
    SCOPED_TRACE(name);
    ++seen;
    EXPECT_EQ(DinoV2Config::preset_config(name).parameter_count(), count);
  }
  EXPECT_EQ(seen, 6u);
}

}  // namespace
}  // namespace latentlab::models
