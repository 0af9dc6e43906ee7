// LPIPS-VGG (models/lpips_vgg.h) on seeded random weights: metric properties, gradients against central
// finite differences in float64, the per-layer maps, and the weight layouts and their errors. The match
// with an independent PyTorch LPIPS is tests/reference/models/lpips_reference_test.cpp.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "io/safetensors.h"
#include "models/lpips_vgg.h"
#include "models/lpips_vgg_layout.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab::models {
namespace {

at::Tensor square_images(int64_t n, int64_t side, uint64_t seed) {
  at::manual_seed(seed);
  return at::rand({n, 3, side, side}) * 2 - 1;
}

LpipsVGG seeded_model() {
  at::manual_seed(11);
  return LpipsVGG();
}

TEST(LpipsVGGTest, IsZeroOnIdenticalImagesPositiveAndSymmetricOtherwise) {
  const LpipsVGG model = seeded_model();
  const at::Tensor x = square_images(2, 16, 1), y = square_images(2, 16, 2);
  EXPECT_EQ(model.distance(x, x).abs().max().item<double>(), 0.0);
  const at::Tensor xy = model.distance(x, y), yx = model.distance(y, x);
  EXPECT_GT(xy.min().item<double>(), 0.0);
  EXPECT_TRUE(at::allclose(xy, yx, 1e-6, 0));
}

TEST(LpipsVGGTest, MapsAverageToThePerLayerValues) {
  const LpipsVGG model = seeded_model();
  const LpipsOutput out = model.forward(square_images(2, 32, 3), square_images(2, 32, 4), true);  // 32 → 2×2 at layer 5
  ASSERT_EQ(out.maps.size(), 5u);
  for (int l = 0; l < kLpipsLayers; ++l) {
    const int64_t side = 32 >> l;
    EXPECT_EQ(out.maps[l].sizes(), (at::IntArrayRef{2, 1, side, side}));
    EXPECT_TRUE(at::allclose(out.maps[l].mean({1, 2, 3}), out.per_layer.select(1, l)));
  }
  EXPECT_TRUE(at::allclose(out.per_layer.sum(1), out.distance));
}

TEST(LpipsVGGTest, GradientsMatchFiniteDifferences) {
  LpipsVGG model = seeded_model();
  model.to(c10::Device(c10::kCPU), at::kDouble);
  const at::Tensor x0 = square_images(1, 16, 5).to(at::kDouble).requires_grad_(true);
  const at::Tensor x1 = square_images(1, 16, 6).to(at::kDouble);
  model.distance(x0, x1).sum().backward();
  const at::Tensor grad = x0.grad();
  ASSERT_TRUE(grad.defined());
  const double eps = 1e-6;
  at::NoGradGuard no_grad;
  for (int64_t flat : {0, 100, 377, 511, 700}) {
    at::Tensor plus = x0.detach().clone(), minus = x0.detach().clone();
    plus.view(-1)[flat] += eps;
    minus.view(-1)[flat] -= eps;
    const double numeric =
        (model.distance(plus, x1).item<double>() - model.distance(minus, x1).item<double>()) / (2 * eps);
    const double analytic = grad.view(-1)[flat].item<double>();
    EXPECT_NEAR(analytic, numeric, 1e-6 * std::max(1.0, std::abs(numeric)) + 1e-9) << flat;
  }
}

TEST(LpipsVGGTest, TrainingLossPathEqualsTheOnePassAndGradsOnlyTheReconstruction) {
  // With one side requiring gradients the target runs in its own pass without a graph; the values are those
  // of the one-pass (cat) evaluation, whichever side it is.
  const LpipsVGG model = seeded_model();
  const at::Tensor target = square_images(2, 16, 7), reconstruction = square_images(2, 16, 8).requires_grad_(true);
  at::Tensor one_pass;
  {
    at::NoGradGuard no_grad;
    one_pass = model.distance(target, reconstruction);
  }
  const at::Tensor loss = model.distance(target, reconstruction), swapped = model.distance(reconstruction, target);
  EXPECT_TRUE(at::allclose(loss, one_pass, 1e-6, 1e-7));
  EXPECT_TRUE(at::allclose(swapped, one_pass, 1e-6, 1e-7));
  loss.sum().backward();
  EXPECT_TRUE(reconstruction.grad().defined());
  EXPECT_GT(reconstruction.grad().abs().max().item<double>(), 0.0);
}

TEST(LpipsVGGTest, SavedFileAndLpipsModuleLayoutLoadTheSameWeights) {
  const LpipsVGG model = seeded_model();
  testing::ScratchDir dir;
  model.save(dir.file("lpips.safetensors"));
  const LpipsVGG loaded = LpipsVGG::load({dir.file("lpips.safetensors")});
  EXPECT_EQ(loaded.weights().trunk_layout, "torchvision");
  EXPECT_EQ(loaded.weights().trunk_sha256, loaded.weights().heads_sha256);
  const at::Tensor x = square_images(1, 16, 7), y = square_images(1, 16, 8);
  EXPECT_TRUE(at::equal(loaded.distance(x, y), model.distance(x, y)));

  // The lpips module's own names (net.sliceK.N.*) with its ScalingLayer buffers.
  io::NamedArrays renamed;
  for (auto [name, array] : model.state_arrays()) {
    for (const auto& conv : lpips_vgg::kConvs) {
      const std::string prefix = "features." + std::to_string(conv.index) + ".";
      if (name.rfind(prefix, 0) == 0)
        name = "net.slice" + std::to_string(conv.slice) + "." + std::to_string(conv.index) + "." +
               name.substr(prefix.size());
    }
    renamed.emplace_back(name, array);
  }
  const float shift[3] = {-.030f, -.088f, -.188f}, wrong[3] = {0.f, 0.f, 0.f};
  renamed.emplace_back("scaling_layer.shift", io::Array::copy_of(io::DType::F32, {1, 3, 1, 1}, shift, 12));
  LpipsVGG other = seeded_model();
  EXPECT_EQ(other.load_state(renamed, "module.pth"), "lpips");
  EXPECT_TRUE(at::equal(other.distance(x, y), model.distance(x, y)));
  renamed.back().second = io::Array::copy_of(io::DType::F32, {1, 3, 1, 1}, wrong, 12);
  EXPECT_CONTAINS(testing::problem_of([&] { other.load_state(renamed, "module.pth"); }, "module.pth"),
                  "not the v0.1 ScalingLayer");
}

TEST(LpipsVGGTest, BadWeightsAreOneLineErrors) {
  const LpipsVGG model = seeded_model();
  const io::NamedArrays good = model.state_arrays();
  LpipsVGG target = seeded_model();
  auto problem = [&](io::NamedArrays arrays) {
    return testing::problem_of([&] { target.load_state(arrays, "w.pth"); }, "w.pth");
  };
  io::NamedArrays no_head(good.begin(), good.end() - 1);
  EXPECT_CONTAINS(problem(no_head), "missing tensor 'lin4.model.1.weight'");
  io::NamedArrays no_trunk(good.end() - 5, good.end());
  EXPECT_CONTAINS(problem(no_trunk), "no VGG16 trunk");
  io::NamedArrays misshapen = good;
  misshapen[1].second.shape = {32};
  EXPECT_CONTAINS(problem(misshapen), "tensor 'features.0.bias' has shape [32]");
  io::NamedArrays extra = good;
  extra.emplace_back("decoder.conv_in.weight", good.back().second);
  EXPECT_CONTAINS(problem(extra), "unexpected tensor 'decoder.conv_in.weight'");
  io::NamedArrays classifier = good;  // torchvision files carry the classifier: ignored
  classifier.emplace_back("classifier.6.bias", good[1].second);
  EXPECT_EQ(target.load_state(classifier, "w.pth"), "torchvision");

  testing::ScratchDir dir;
  model.save(dir.file("a.safetensors"));
  EXPECT_CONTAINS(testing::problem_of(
                      [&] {
                        LpipsVGG::load({dir.file("a.safetensors"), dir.file("a.safetensors")});
                      },
                      dir.file("a.safetensors")),
                  "is also in");
  EXPECT_CONTAINS(testing::problem_of([&] { model.distance(square_images(1, 8, 1), square_images(1, 8, 2)); }, "lpips"),
                  "too small");
}

}  // namespace
}  // namespace latentlab::models
