// PSNR and SSIM against an independent numpy/scipy computation (reconstruction_reference.py: skimage's
// formulas with scipy.ndimage Gaussian filtering, truncate 3.5 = 11 taps, reflect padding, border of 5
// cropped) on the same seeded uint8 pairs of 24×29 (not square) at four noise levels. Both sides compute in
// float64, so only summation order differs: agreement within 1e-9 absolute.
#include <gtest/gtest.h>

#include "metrics/reconstruction/psnr.h"
#include "metrics/reconstruction/ssim.h"
#include "reference/metrics/reference_npz.h"

#ifdef LATENTLAB_WITH_ZIP
namespace latentlab::metrics {
namespace {

TEST(ReconstructionReferenceTest, PsnrAndSsimMatchScipy) {
  std::unique_ptr<testing::ReferenceNpz> ref;
  ASSERT_NO_FATAL_FAILURE(testing::run_reference_npz("metrics/reconstruction_reference.py", ref));
  const at::Tensor a = ref->get("originals"), b = ref->get("reconstructions");
  const at::Tensor psnr = psnr_per_image(a, b), ssim = ssim_per_image(a, b);
  const at::Tensor want_psnr = ref->get("psnr"), want_ssim = ref->get("ssim");
  for (int64_t i = 0; i < a.size(0); ++i) {
    SCOPED_TRACE(i);
    EXPECT_NEAR(psnr[i].item<double>(), want_psnr[i].item<double>(), 1e-9);
    EXPECT_NEAR(ssim[i].item<double>(), want_ssim[i].item<double>(), 1e-9);
  }
  // The four pairs span the range the metric is used in (near-identical to heavily distorted).
  EXPECT_GT(want_ssim.max().item<double>(), 0.95);
  EXPECT_LT(want_ssim.min().item<double>(), 0.5);
}

}  // namespace
}  // namespace latentlab::metrics
#endif
