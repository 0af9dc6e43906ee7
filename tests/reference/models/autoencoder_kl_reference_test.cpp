// AutoencoderKL against an independent PyTorch implementation (autoencoder_kl_reference.py, written from the
// LDM description with Debian's python3-torch): the same seeded weights, saved by torch.save inside an LDM
// checkpoint's nesting ({"state_dict": …} with loss.* tensors) and a REPA-E one ({"vae": …}), and the same
// seeded 2×3×32×48 images (not square, so a transposed attention would show). Posterior mean, log-variance,
// std, KL and decode(mean) must agree within 1e-4 absolute: both sides compute in float32 with different
// summation orders (fused attention against bmm + softmax, oneDNN convolutions), which leaves ~1e-6 here.
// Parameter counts of every preset must equal the reference's. A missing torch or numpy is a failure.
#include <gtest/gtest.h>

#include <iostream>
#include <sstream>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "io/npz.h"
#include "io/tensor_convert.h"
#include "models/autoencoder_kl.h"
#include "support/tensor_compare.h"
#include "support/test_support.h"

namespace latentlab::models {
namespace {

using testing::max_abs_diff;
using testing::ScratchDir;

constexpr double kAutoencoderKLTolerance = 1e-4;

testing::CommandResult autoencoder_kl_reference(const std::string& arguments) {
  return testing::run_reference_python("models/autoencoder_kl_reference.py", arguments);
}

#if LATENTLAB_WITH_ZIP  // the reference arrives as .npz / zip-format .pth (libzip)
TEST(AutoencoderKLReferenceTest, MatchesThePyTorchReferenceOnSeededWeights) {
  ASSERT_TRUE(testing::reference_python_has("torch, numpy")) << "the reference python needs python3-torch";
  ScratchDir dir;
  const auto made = autoencoder_kl_reference("write " + dir.path() + " --preset tiny-f4d4 --seed 7");
  ASSERT_EQ(made.exit_code, 0) << made.out << made.err;

  AutoencoderKLLoadOptions options;
  options.resolution = 32;  // tiny-f4d4's: the attention level is inferred from the weights at this side
  AutoencoderKLLoadReport report;
  AutoencoderKL model = AutoencoderKL::load(dir.file("weights.pth"), options, &report);
  EXPECT_EQ(report.format, "pth-zip");
  EXPECT_EQ(report.prefix, "state_dict");
  EXPECT_EQ(report.skipped, 2);  // loss.logvar, loss.discriminator.main.0.weight
  EXPECT_EQ(report.config_source, "inferred");
  EXPECT_EQ(model.config().preset, "tiny-f4d4");

  io::NpzReader expected(dir.file("expected.npz"));
  auto array = [&](const std::string& name) { return io::to_tensor(expected.read(name)); };
  at::NoGradGuard no_grad;
  const Posterior q = model.encode(array("images"));
  const at::Tensor decoded = model.decode(q.mean);
  const std::map<std::string, at::Tensor> got = {
      {"mean", q.mean}, {"logvar", q.logvar}, {"std", q.std}, {"kl", q.kl()}, {"decoded", decoded}};
  for (const auto& [name, tensor] : got) {
    const at::Tensor want = array(name);
    const double diff = max_abs_diff(tensor, want);
    std::cout << "autoencoder-kl reference: " << name << " max |C++ - PyTorch| = " << diff << " (max |value| "
              << want.abs().max().item<double>() << ")\n";
    // KL sums 4·8·12 elements per image of magnitude ~1: scale its tolerance by that count.
    EXPECT_LE(diff, name == "kl" ? kAutoencoderKLTolerance * 384 : kAutoencoderKLTolerance) << name;
  }

  // The same weights in a REPA-E-style checkpoint: found under "vae", the other network left alone.
  AutoencoderKL e2e = AutoencoderKL::load(dir.file("weights_e2e.pth"), options, &report);
  EXPECT_EQ(report.prefix, "vae");
  EXPECT_EQ(report.outside, 1);
  EXPECT_TRUE(at::equal(e2e.encode(array("images")).mean, q.mean));
}
#endif

TEST(AutoencoderKLReferenceTest, ParameterCountsMatchTheReference) {
  ASSERT_TRUE(testing::reference_python_has("torch, numpy"));
  const auto counts = autoencoder_kl_reference("counts f8d4 f16d32 tiny-f4d4 small-f8d8");  // f16d16: unit test
  ASSERT_EQ(counts.exit_code, 0) << counts.err;
  std::istringstream lines(counts.out);
  std::string name;
  int64_t count = 0;
  size_t seen = 0;
  while (lines >> name >> count) {
    SCOPED_TRACE(name);
    ++seen;
    EXPECT_EQ(AutoencoderKL(AutoencoderKLConfig::preset_config(name)).parameter_count(), count);
  }
  EXPECT_EQ(seen, 4u);
}

}  // namespace
}  // namespace latentlab::models
