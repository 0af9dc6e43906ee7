// The Send-VAE mapper, its alignment loss, the VA-VAE VF loss and the adaptive loss weights against an
// independent PyTorch implementation (sendvae_vf_reference.py, written with plain tensor operations from
// PAPER.md §4.3, §5, §6) on the same seeded weights — every bias, LayerNorm and BN running statistic set away
// from its initial value — and the same inputs: a 3×4×8×6 latent (non-square, patch 2 -> a 4×3 token grid),
// fixed t and ε fed in, a depth-1 and a depth-0 mapper, teachers on the exact grid and on a 4×4 grid that
// is resized. Float32 on both sides with different summation orders: mapper tokens are compared at 1e-6 of
// their largest magnitude, and every scalar loss and weight at 1e-6 relative (the requirement).
// The adaptive weights use LibTorch's autograd against torch.autograd.grad on the same toy graph.
#include <gtest/gtest.h>

#include <iostream>
#include <memory>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <fmt/format.h>
#include <torch/nn/module.h>

#include "io/npz.h"
#include "io/tensor_convert.h"
#include "io/weights.h"
#include "models/gan_losses.h"
#include "models/sendvae_mapper.h"
#include "models/sendvae_mapper_alignment.h"
#include "models/vf_loss.h"
#include "support/tensor_compare.h"
#include "support/test_support.h"

namespace latentlab::models {
namespace {

constexpr double kTokenTolerance = 1e-6;  // measured ≤ 2.7e-7 (Debian LibTorch 1.13, CPU)
constexpr double kScalarTolerance = 1e-6;

void expect_close(const std::string& name, const at::Tensor& got, const at::Tensor& want, double tolerance) {
  const double diff = testing::max_relative_diff(got, want);
  std::cout << "sendvae/vf reference: " << name << " relative |C++ - PyTorch| = " << diff << "\n";
  EXPECT_LE(diff, tolerance) << name;
}

SendVAEMapperConfig tiny(int64_t depth) {
  SendVAEMapperConfig c;
  c.latent_channels = 4;
  c.patch_size = 2;
  c.width = 32;
  c.heads = 4;
  c.depth = depth;
  c.projector_hidden = 48;
  c.teacher_width = 24;
  return c;
}

// The reference writes everything once; the checks below share its output (one python start, ~4 s).
struct Reference {
  testing::ScratchDir dir;
  std::unique_ptr<io::NpzReader> expected;
  at::Tensor array(const std::string& name) const { return io::to_tensor(expected->read(name)); }
  SendVAEMapper mapper(int64_t depth) const {
    SendVAEMapper m(tiny(depth));
    const std::string path = dir.file(depth == 1 ? "mapper1.pth" : "mapper0.pth");
    m->load_state(io::load_weights(path).arrays, path);
    return m;
  }
};

void check_mapper_forward(const Reference& ref) {
  at::NoGradGuard no_grad;
  const at::Tensor z = ref.array("z"), t = ref.array("t"), eps = ref.array("eps");
  for (const char* mode : {"eval", "train"}) {
    SCOPED_TRACE(mode);
    const bool train = std::string(mode) == "train";
    for (int64_t depth : {1, 0}) {
      SendVAEMapper m = ref.mapper(depth);
      m->train(train);
      const at::Tensor normalized = m->normalize(z);
      const at::Tensor tokens = m->map(interpolate_noise(normalized, t, eps));
      expect_close(fmt::format("tokens{}_{}", depth, mode), tokens, ref.array(fmt::format("tokens{}_{}", depth, mode)),
                   kTokenTolerance);
      if (depth == 1) {
        expect_close(std::string("normalized_") + mode, normalized, ref.array(std::string("normalized_") + mode),
                     kTokenTolerance);
        if (train) {
          const auto buffers = m->named_buffers();
          expect_close("running_mean_after", buffers["latent_norm.running_mean"], ref.array("running_mean_after"),
                       kScalarTolerance);
          expect_close("running_var_after", buffers["latent_norm.running_var"], ref.array("running_var_after"),
                       kScalarTolerance);
        }
      }
    }
  }
}

void check_alignment_loss(const Reference& ref) {
  // The loss is checked on the reference's own tokens, so it is tested apart from the forward.
  const at::Tensor tokens = ref.array("tokens1_eval");
  expect_close("align_exact", sendvae_alignment_loss(tokens, ref.array("teacher_exact"), 4, 3),
               ref.array("align_exact"), kScalarTolerance);
  expect_close("align_square", sendvae_alignment_loss(tokens, ref.array("teacher_square"), 4, 3),
               ref.array("align_square"), kScalarTolerance);
}

void check_vf_loss(const Reference& ref) {
  VFProjection projection(4, 24);
  {
    at::NoGradGuard no_grad;
    projection->linear_proj->weight.copy_(ref.array("vf_proj"));
  }
  const at::Tensor z_proj = projection->forward(ref.array("vf_z"));
  for (const char* grid : {"exact", "square"}) {
    const VFLossTerms terms = vf_loss(z_proj, ref.array(std::string("teacher_") + grid));
    expect_close(std::string("vf_cos_") + grid, terms.cosine, ref.array(std::string("vf_cos_") + grid),
                 kScalarTolerance);
    expect_close(std::string("vf_dist_") + grid, terms.distmat, ref.array(std::string("vf_dist_") + grid),
                 kScalarTolerance);
    expect_close(std::string("vf_total_") + grid, terms.total, ref.array(std::string("vf_total_") + grid),
                 kScalarTolerance);
  }
}

void check_adaptive_weights(const Reference& ref) {
  const at::Tensor layer = ref.array("toy_layer").clone().set_requires_grad(true);
  const at::Tensor y = at::matmul(ref.array("toy_x"), layer);
  const at::Tensor nll = (at::tanh(y) - ref.array("toy_v")).abs().mean();
  const at::Tensor g = -(y * ref.array("toy_v")).mean();
  expect_close("adaptive_gan", adaptive_gan_weight(nll, g, layer, 0.5), ref.array("adaptive_gan"), kScalarTolerance);
  const at::Tensor clamped = adaptive_gan_weight(nll * 10, g * 1e-9, layer, 0.5);
  expect_close("adaptive_gan_clamped", clamped, ref.array("adaptive_gan_clamped"), kScalarTolerance);
  EXPECT_DOUBLE_EQ(clamped.item<double>(), kGanAdaptiveWeightMax * 0.5);  // the clamp is what this case tests
  VFLossOptions options;
  options.vf_weight = 0.1;
  expect_close("adaptive_vf", vf_adaptive_weight(nll * 10, g * 1e-9, layer, options), ref.array("adaptive_vf"),
               kScalarTolerance);
  // The graphs survive (retain_graph): the caller's backward still runs.
  (nll + g).backward();
  EXPECT_TRUE(layer.grad().defined());
}

TEST(SendVAEReferenceTest, MatchesThePyTorchReference) {
  ASSERT_TRUE(testing::reference_python_has("torch, numpy")) << "the reference python needs python3-torch";
  Reference ref;
  const auto made =
      testing::run_reference_python("models/sendvae_vf_reference.py", "write " + ref.dir.path() + " --seed 5");
  ASSERT_EQ(made.exit_code, 0) << made.out << made.err;
  ref.expected = std::make_unique<io::NpzReader>(ref.dir.file("expected.npz"));
  {
    SCOPED_TRACE("mapper forward");
    check_mapper_forward(ref);
  }
  {
    SCOPED_TRACE("alignment loss");
    check_alignment_loss(ref);
  }
  {
    SCOPED_TRACE("VF loss");
    check_vf_loss(ref);
  }
  {
    SCOPED_TRACE("adaptive weights");
    check_adaptive_weights(ref);
  }
}

}  // namespace
}  // namespace latentlab::models
