// LPIPS-VGG against an independent PyTorch implementation (lpips_reference.py: torchvision's VGG16 features
// module with seeded random weights, seeded random heads), on the same seeded 2×3×64×64 images in [-1, 1].
// The weights travel as the two published file forms: a zip torch.save of torchvision names (vgg16.pth) and a
// legacy torch.save of the lpips heads (heads.pth). Distances, per-layer values, the per-layer maps and the
// input gradient must agree within 1e-5 relative (of the largest magnitude of each): both sides compute in
// float32 with different convolution batching, which leaves ~1e-7 relative here.
#include <gtest/gtest.h>

#include <iostream>

#include <ATen/ATen.h>

#include "io/npz.h"
#include "io/tensor_convert.h"
#include "models/lpips_vgg.h"
#include "support/tensor_compare.h"
#include "support/test_support.h"

namespace latentlab::models {
namespace {

constexpr double kRelativeTolerance = 1e-5;

TEST(LpipsReferenceTest, MatchesThePyTorchReferenceOnSeededWeights) {
  ASSERT_TRUE(testing::reference_python_has("torch, torchvision, numpy")) << "needs python3-torch(vision)";
  testing::ScratchDir dir;
  const auto made = testing::run_reference_python("models/lpips_reference.py", "write " + dir.path() + " --seed 5");
  ASSERT_EQ(made.exit_code, 0) << made.out << made.err;

  const LpipsVGG model = LpipsVGG::load({dir.file("vgg16.pth"), dir.file("heads.pth")});
  EXPECT_EQ(model.weights().trunk_layout, "torchvision");
  EXPECT_EQ(model.weights().trunk_path, dir.file("vgg16.pth"));
  EXPECT_EQ(model.weights().heads_path, dir.file("heads.pth"));
  EXPECT_EQ(model.weights().trunk_sha256.size(), 64u);
  EXPECT_FALSE(model.weights().trunk_official);

  io::NpzReader expected(dir.file("expected.npz"));
  auto array = [&](const std::string& name) { return io::to_tensor(expected.read(name)); };
  const at::Tensor x0 = array("x0").clone().requires_grad_(true);
  const LpipsOutput out = model.forward(x0, array("x1"), true);
  out.distance.sum().backward();

  std::map<std::string, std::pair<at::Tensor, at::Tensor>> checks = {{"distance", {out.distance, array("distance")}},
                                                                     {"per_layer", {out.per_layer, array("per_layer")}},
                                                                     {"grad_x0", {x0.grad(), array("grad_x0")}}};
  for (int l = 0; l < kLpipsLayers; ++l)
    checks["map" + std::to_string(l)] = {out.maps[l], array("map" + std::to_string(l))};
  for (const auto& [name, pair] : checks) {
    const double diff = testing::max_relative_diff(pair.first.detach(), pair.second);
    std::cout << "lpips reference: " << name << " max |C++ - PyTorch| / max |PyTorch| = " << diff << "\n";
    EXPECT_LE(diff, kRelativeTolerance) << name;
  }
  // Each layer's value matters (no layer is numerically negligible in this check).
  EXPECT_GT(array("per_layer").min().item<double>(), 0.0);
}

}  // namespace
}  // namespace latentlab::models
