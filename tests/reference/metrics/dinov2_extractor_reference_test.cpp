// The DINOv2 extractor's input protocol against PyTorch (tests/reference/models/dinov2_reference.py
// `prepare`: EDM2's DINOv2Detector with resize_mode='torch', i.e. F.interpolate(bicubic, antialias=True) to
// 224 on float 0..255, /255, ImageNet mean/std) on identical seeded uint8 images; and the published
// torch-fidelity value of docs/METRICS.md (DINOv2 ViT-B/14 feature sum −34.6249580383 ± 1e-4 on one seeded
// 32×32 image with TF-1.x bilinear preprocessing), which needs the real weights: it runs when
// LATENTLAB_DINOV2_VITB14 names dinov2_vitb14_pretrain.pth and is reported as skipped otherwise.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>

#include <ATen/ATen.h>

#include "io/npz.h"
#include "io/tensor_convert.h"
#include "metrics/features/dinov2_extractor.h"
#include "metrics/features/registry.h"
#include "support/test_support.h"

namespace latentlab::metrics {
namespace {

using testing::ScratchDir;

testing::CommandResult reference(const std::string& arguments) {
  return testing::run_reference_python("models/dinov2_reference.py", arguments);
}

#if LATENTLAB_WITH_ZIP  // the reference arrives as .npz / zip-format .pth (libzip)
TEST(DinoV2ExtractorReferenceTest, BicubicAntialiasInputMatchesEdm2) {
  ASSERT_TRUE(testing::reference_python_has("torch, numpy"));
  ScratchDir dir;
  const auto made = reference("prepare " + dir.file("prep.npz") + " --seed 4");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  io::NpzReader npz(dir.file("prep.npz"));
  const at::Tensor images = io::to_tensor(npz.read("images"));  // (3, 37, 53, 3) uint8: up- and downsampling
  const at::Tensor want = io::to_tensor(npz.read("prepared"));
  const at::Tensor got = prepare_dinov2_input(images, DinoV2Resize::BicubicAntialias);
  ASSERT_EQ(got.sizes(), want.sizes());
  const double diff = (got - want).abs().max().item<double>();
  std::cout << "dinov2 input bicubic-antialias: max |C++ - PyTorch| = " << diff << "\n";
  EXPECT_LE(diff, 1e-5);  // the same ATen kernel on both sides; float32 normalisation order only
}
#endif

TEST(DinoV2ExtractorReferenceTest, TorchFidelityPublishedFeatureSum) {
  const char* weights = std::getenv("LATENTLAB_DINOV2_VITB14");
  if (weights == nullptr || !testing::file_exists(weights))
    GTEST_SKIP() << "published-value test needs the real weights: set LATENTLAB_DINOV2_VITB14 to "
                    "dinov2_vitb14_pretrain.pth (facebookresearch/dinov2); skipped, which is not a pass";
  ASSERT_TRUE(testing::reference_python_has("torch, numpy"));
  ScratchDir dir;
  const auto made = reference("oracle-image " + dir.file("image.npz"));
  ASSERT_EQ(made.exit_code, 0) << made.err;
  FeatureExtractorOptions options;
  options.weights = weights;
  options.resize = "tf1-bilinear";  // torch-fidelity's dinov2-vit-b-14 preprocessing
  const auto extractor = make_feature_extractor("dinov2-vit-b14", options);
  const Features f = extractor->extract(io::to_tensor(io::NpzReader(dir.file("image.npz")).read("images")));
  const double sum = f.at(kFeatureCls).to(at::kDouble).sum().item<double>();
  std::cout << "dinov2-vit-b14 tf1-bilinear feature sum = " << sum << " (torch-fidelity -34.6249580383)\n";
  EXPECT_NEAR(sum, -34.6249580383, 1e-4);
}

}  // namespace
}  // namespace latentlab::metrics
