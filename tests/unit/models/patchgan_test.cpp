// PatchGAN discriminator (lib/models/patchgan*.cpp): taming's parameter names and count, output grid,
// initialisation statistics, BatchNorm train/eval behaviour, save/load round trips and the loader's errors.
// Numerical agreement with an independent PyTorch implementation: tests/reference/models/patchgan_reference_test.cpp.
#include "models/patchgan.h"

#include <gtest/gtest.h>

#include <set>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/nn/module.h>

#include "io/safetensors.h"
#include "io/tensor_convert.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab::models {
namespace {

using testing::problem_of;
using testing::ScratchDir;

PatchGANConfig small(int64_t ndf = 4) {
  PatchGANConfig c;
  c.ndf = ndf;
  return c;
}

TEST(PatchGANTest, DefaultHasTamingNamesAndParameterCount) {
  at::manual_seed(0);
  PatchGANDiscriminator d;
  // Hand count for in 3, ndf 64, 3 layers: convs 3·64·16 + 64, 64·128·16, 128·256·16, 256·512·16,
  // 512·16 + 1, and BN affine 2·(128 + 256 + 512).
  EXPECT_EQ(d.parameter_count(), 3136 + 131072 + 524288 + 2097152 + 8193 + 2 * (128 + 256 + 512));
  std::set<std::string> names;
  for (const auto& [name, array] : d.state_arrays()) names.insert(name);
  const std::set<std::string> want = {"main.0.weight",      "main.0.bias",
                                      "main.2.weight",      "main.3.weight",
                                      "main.3.bias",        "main.3.running_mean",
                                      "main.3.running_var", "main.3.num_batches_tracked",
                                      "main.5.weight",      "main.6.weight",
                                      "main.6.bias",        "main.6.running_mean",
                                      "main.6.running_var", "main.6.num_batches_tracked",
                                      "main.8.weight",      "main.9.weight",
                                      "main.9.bias",        "main.9.running_mean",
                                      "main.9.running_var", "main.9.num_batches_tracked",
                                      "main.11.weight",     "main.11.bias"};
  EXPECT_EQ(names, want);
}

TEST(PatchGANTest, InitialisationFollowsTamingWeightsInit) {
  at::manual_seed(1);
  PatchGANDiscriminator d;
  auto params = d.module().named_parameters();
  const at::Tensor conv = params["main.8.weight"];  // 2M values: the sample std is within 1%
  EXPECT_NEAR(conv.std().item<double>(), 0.02, 2e-4);
  EXPECT_NEAR(conv.mean().item<double>(), 0.0, 1e-4);
  const at::Tensor bn = params["main.9.weight"];  // 512 values of N(1, 0.02)
  EXPECT_NEAR(bn.mean().item<double>(), 1.0, 0.005);
  EXPECT_NEAR(bn.std().item<double>(), 0.02, 0.004);
  EXPECT_TRUE(at::equal(params["main.9.bias"], at::zeros({512})));
}

TEST(PatchGANTest, LogitGridAndMinimumSide) {
  at::manual_seed(2);
  PatchGANDiscriminator d(small());
  at::NoGradGuard no_grad;
  EXPECT_EQ(d.forward(at::randn({1, 3, 256, 256})).sizes(), (at::IntArrayRef{1, 1, 30, 30}));
  EXPECT_EQ(d.forward(at::randn({2, 3, 24, 40})).sizes(), (at::IntArrayRef{2, 1, 1, 3}));
  EXPECT_CONTAINS(problem_of([&] { d.forward(at::randn({1, 3, 23, 40})); }, "patchgan"), "H, W ≥ 24");
  EXPECT_CONTAINS(problem_of([&] { d.forward(at::randn({1, 4, 32, 32})); }, "patchgan"), "N×3×H×W");
}

TEST(PatchGANTest, RunningStatisticsMoveInTrainModeOnly) {
  at::manual_seed(3);
  PatchGANDiscriminator d(small());
  at::NoGradGuard no_grad;
  const at::Tensor x = at::randn({2, 3, 32, 32});
  auto running = [&] { return d.module().named_buffers()["main.3.running_mean"].clone(); };
  const at::Tensor before = running();
  d.train(false);
  const at::Tensor eval_a = d.forward(x);
  EXPECT_TRUE(at::equal(running(), before));
  EXPECT_TRUE(at::equal(d.forward(x), eval_a));  // eval is deterministic and stateless
  d.train(true);
  d.forward(x);
  EXPECT_FALSE(at::equal(running(), before));
  EXPECT_EQ(d.module().named_buffers()["main.3.num_batches_tracked"].item<int64_t>(), 1);
}

TEST(PatchGANTest, SafetensorsRoundTripKeepsWeightsAndBuffers) {
  at::manual_seed(4);
  PatchGANDiscriminator d(small(8));
  {
    at::NoGradGuard no_grad;
    d.forward(at::randn({2, 3, 32, 32}));  // moves the running statistics
  }
  ScratchDir dir;
  d.save(dir.file("d.safetensors"));
  PatchGANLoadReport report;
  PatchGANDiscriminator back = PatchGANDiscriminator::load(dir.file("d.safetensors"), {}, &report);
  EXPECT_EQ(report.config_source, "metadata");
  EXPECT_EQ(report.format, "safetensors");
  EXPECT_EQ(back.config().ndf, 8);
  d.train(false);
  back.train(false);
  at::NoGradGuard no_grad;
  const at::Tensor x = at::randn({1, 3, 40, 32});
  EXPECT_TRUE(at::equal(d.forward(x), back.forward(x)));
}

TEST(PatchGANTest, ConfigIsInferredUnderANamedPrefix) {
  at::manual_seed(5);
  PatchGANDiscriminator d(small(4));
  io::NamedArrays arrays;
  for (auto& [name, array] : d.state_arrays()) arrays.emplace_back("discriminator." + name, std::move(array));
  arrays.emplace_back("other.weight", io::to_array(at::zeros({2})));
  ScratchDir dir;
  io::write_safetensors(dir.file("e2e.safetensors"), arrays);
  PatchGANLoadOptions options;
  options.prefix = "discriminator";
  PatchGANLoadReport report;
  PatchGANDiscriminator back = PatchGANDiscriminator::load(dir.file("e2e.safetensors"), options, &report);
  EXPECT_EQ(report.config_source, "inferred");
  EXPECT_EQ(back.config().ndf, 4);
  EXPECT_EQ(back.config().n_layers, 3);
  // "auto" finds the same prefix by its name.
  EXPECT_EQ(PatchGANDiscriminator::load(dir.file("e2e.safetensors"), {}, &report).config().ndf, 4);
  EXPECT_EQ(report.prefix, "discriminator");
  EXPECT_EQ(report.outside, 1);
}

TEST(PatchGANTest, BadFilesGiveOneLineErrors) {
  ScratchDir dir;
  io::write_safetensors(dir.file("none.safetensors"),
                        {{"encoder.conv_in.weight", io::to_array(at::zeros({4, 3, 3, 3}))}});
  EXPECT_CONTAINS(
      problem_of([&] { PatchGANDiscriminator::load(dir.file("none.safetensors")); }, dir.file("none.safetensors")),
      "no PatchGAN discriminator");

  at::manual_seed(6);
  io::NamedArrays arrays = PatchGANDiscriminator(small(4)).state_arrays();
  for (auto& [name, array] : arrays)
    if (name == "main.5.weight") array = io::to_array(at::zeros({16, 8, 3, 3}));
  io::write_safetensors(dir.file("shape.safetensors"), arrays);
  EXPECT_CONTAINS(
      problem_of([&] { PatchGANDiscriminator::load(dir.file("shape.safetensors")); }, dir.file("shape.safetensors")),
      "first shape mismatch 'main.5.weight'");

  arrays = PatchGANDiscriminator(small(4)).state_arrays();
  arrays.emplace_back("main.3.loc", io::to_array(at::zeros({1, 8, 1, 1})));  // taming's ActNorm
  io::write_safetensors(dir.file("actnorm.safetensors"), arrays);
  EXPECT_CONTAINS(problem_of([&] { PatchGANDiscriminator::load(dir.file("actnorm.safetensors")); },
                             dir.file("actnorm.safetensors")),
                  "first unexpected 'main.3.loc'");
}

}  // namespace
}  // namespace latentlab::models
