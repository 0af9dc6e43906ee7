// Pillow's bicubic resize (metrics/features/pil_resize.h) and the DINOv2 extractor's pil-bicubic input against
// Pillow and torchvision themselves (pil_bicubic_reference.py: Image.resize and dgm-eval's DINOv2 transform) on
// identical seeded uint8 images: upsampling, antialiased downsampling, both at once, and the identity. The
// resize must be bit-exact; the prepared input differs only by the float32 order of /255 and the mean/std.
#include <gtest/gtest.h>

#include <iostream>

#include <ATen/ATen.h>

#include "io/npz.h"
#include "io/tensor_convert.h"
#include "metrics/features/dinov2_extractor.h"
#include "metrics/features/pil_resize.h"
#include "support/test_support.h"

namespace latentlab::metrics {
namespace {

TEST(PilBicubicReferenceTest, ResizeIsBitExactAndDinoV2InputMatchesDgmEval) {
  ASSERT_TRUE(testing::reference_python_has("torch, torchvision, numpy, PIL"));
  testing::ScratchDir dir;
  const auto made = testing::run_reference_python("metrics/pil_bicubic_reference.py", dir.file("pil.npz"));
  ASSERT_EQ(made.exit_code, 0) << made.err;
  io::NpzReader npz(dir.file("pil.npz"));
  for (int k = 0; k < 4; ++k) {
    const std::string s = std::to_string(k);
    const at::Tensor images = io::to_tensor(npz.read("images_" + s));
    const at::Tensor want = io::to_tensor(npz.read("resized_" + s));
    const at::Tensor got = resize_pil_bicubic(images, 224, 224);
    ASSERT_EQ(got.sizes(), want.sizes()) << "case " << k;
    const int64_t differ = got.ne(want).sum().item<int64_t>();
    std::cout << "case " << k << " " << images.sizes() << ": " << differ << " of " << got.numel()
              << " uint8 values differ from PIL\n";
    EXPECT_EQ(differ, 0) << "case " << k;
    const at::Tensor prepared = prepare_dinov2_input(images, DinoV2Resize::PilBicubic);
    const double diff = (prepared - io::to_tensor(npz.read("prepared_" + s))).abs().max().item<double>();
    EXPECT_LE(diff, 1e-6) << "case " << k;
  }
}

}  // namespace
}  // namespace latentlab::metrics
