// PatchGAN discriminator and GAN losses against an independent PyTorch implementation
// (patchgan_reference.py: the taming NLayerDiscriminator written with F.conv2d and a hand-written
// BatchNorm) on the same seeded weights — ndf 8, 3 layers, BN running statistics set away from 0/1 — saved
// inside an LDM autoencoder checkpoint's nesting and as a bare state dict, and the same 2×3×32×40 images (not
// square, so transposed maps would show). Logits in eval mode (running statistics) and train mode (batch
// statistics), the running statistics after one train-mode forward, and the hinge / vanilla D losses and
// both generator losses on those logits must agree within 1e-5 relative to the largest value: float32 on
// both sides with different convolution and reduction orders leaves ~1e-7.
#include <gtest/gtest.h>

#include <iostream>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/nn/module.h>

#include "io/npz.h"
#include "io/tensor_convert.h"
#include "models/gan_losses.h"
#include "models/patchgan.h"
#include "support/test_support.h"

namespace latentlab::models {
namespace {

constexpr double kPatchGANTolerance = 1e-5;

double relative_or_absolute_diff(const at::Tensor& got, const at::Tensor& want) {
  EXPECT_EQ(got.sizes(), want.sizes());
  if (got.sizes() != want.sizes()) return 1e30;
  const at::Tensor w = want.to(at::kDouble);
  return (got.to(at::kDouble) - w).abs().max().item<double>() / std::max(1.0, w.abs().max().item<double>());
}

TEST(PatchGANReferenceTest, MatchesThePyTorchReferenceOnSeededWeights) {
  ASSERT_TRUE(testing::reference_python_has("torch, numpy")) << "the reference python needs python3-torch";
  testing::ScratchDir dir;
  const auto made = testing::run_reference_python("models/patchgan_reference.py", "write " + dir.path() + " --seed 3");
  ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
  io::NpzReader expected(dir.file("expected.npz"));
  auto array = [&](const std::string& name) { return io::to_tensor(expected.read(name)); };

  PatchGANLoadReport report;
  PatchGANDiscriminator d = PatchGANDiscriminator::load(dir.file("vae.pth"), {}, &report);
  EXPECT_EQ(report.prefix, "loss.discriminator");
  EXPECT_EQ(report.outside, 2);  // encoder.conv_in.weight, loss.logvar
  EXPECT_EQ(report.config_source, "inferred");
  EXPECT_EQ(d.config().ndf, 8);
  EXPECT_EQ(d.config().n_layers, 3);
  PatchGANDiscriminator bare = PatchGANDiscriminator::load(dir.file("disc.pth"));

  at::NoGradGuard no_grad;
  d.train(false);
  bare.train(false);
  const at::Tensor eval_logits = d.forward(array("images"));
  EXPECT_TRUE(at::equal(eval_logits, bare.forward(array("images"))));
  d.train(true);
  const at::Tensor real = d.forward(array("images"));
  const auto buffers = d.module().named_buffers();
  const at::Tensor running_mean = buffers["main.3.running_mean"].clone();
  const at::Tensor running_var = buffers["main.3.running_var"].clone();
  const at::Tensor fake = d.forward(array("fake"));

  const std::map<std::string, at::Tensor> got = {
      {"logits_eval", eval_logits},         {"logits_train", real},
      {"running_mean_after", running_mean}, {"running_var_after", running_var},
      {"hinge", hinge_d_loss(real, fake)},  {"vanilla", vanilla_d_loss(real, fake)},
      {"g_mean", generator_loss(fake)},     {"g_nonsat", generator_loss(fake, GeneratorLoss::NonSaturating)}};
  for (const auto& [name, tensor] : got) {
    const double diff = relative_or_absolute_diff(tensor, array(name));
    std::cout << "patchgan reference: " << name << " max |C++ - PyTorch| / max(1, |ref|) = " << diff << "\n";
    EXPECT_LE(diff, kPatchGANTolerance) << name;
  }
}

}  // namespace
}  // namespace latentlab::models
