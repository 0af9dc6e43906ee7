// Precision/recall against the ADM evaluator's definition and precision/recall/density/coverage against
// prdc, both reimplemented in tests/reference/metrics/precision_recall_reference.py, on identical features.
#ifdef LATENTLAB_WITH_ZIP  // the reference arrives as an .npz
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include <ATen/ATen.h>

#include "metrics/generative/precision_recall.h"
#include "reference/metrics/reference_npz.h"
#include "support/test_support.h"

namespace latentlab::metrics {
namespace {

// The metrics are counts over 700 and 550 points: the values are exact rationals, and float64 distances
// on both sides leave no Gaussian-feature pair within rounding of a radius, so the comparison is exact
// (up to the division). Float32 distances may flip a membership that lies within ~1e-6 of a radius;
// on these features none does, which the float32 run checks too.
TEST(PrecisionRecallReference, MatchesAdmAndPrdc) {
  ASSERT_TRUE(testing::reference_python_has("numpy, sklearn")) << "Debian's python3-sklearn is required";
  std::unique_ptr<testing::ReferenceNpz> ref;
  ASSERT_NO_FATAL_FAILURE(testing::run_reference_npz("metrics/precision_recall_reference.py", ref));
  const auto real = ref->get("real"), fake = ref->get("fake");

  for (auto dtype : {at::kDouble, at::kFloat}) {
    SCOPED_TRACE(c10::toString(dtype));
    ManifoldOptions adm;  // k = 3, <=
    adm.distance.dtype = dtype;
    adm.distance.block_size = 256;
    const auto ours = manifold_metrics(real, fake, adm);
    EXPECT_NEAR(ours.precision, ref->scalar("adm_precision"), 1e-15);
    EXPECT_NEAR(ours.recall, ref->scalar("adm_recall"), 1e-15);

    ManifoldOptions prdc;
    prdc.pr_k = prdc.dc_k = 5;
    prdc.strict = true;
    prdc.distance.dtype = dtype;
    prdc.distance.block_size = 300;
    const auto theirs = manifold_metrics(real, fake, prdc);
    std::printf(
        "measured (%s): P %.6f R %.6f vs ADM %.6f %.6f; prdc P %.6f R %.6f D %.6f C %.6f vs %.6f %.6f %.6f %.6f\n",
        c10::toString(dtype), ours.precision, ours.recall, ref->scalar("adm_precision"), ref->scalar("adm_recall"),
        theirs.precision, theirs.recall, theirs.density, theirs.coverage, ref->scalar("prdc_precision"),
        ref->scalar("prdc_recall"), ref->scalar("prdc_density"), ref->scalar("prdc_coverage"));
    EXPECT_NEAR(theirs.precision, ref->scalar("prdc_precision"), 1e-15);
    EXPECT_NEAR(theirs.recall, ref->scalar("prdc_recall"), 1e-15);
    EXPECT_NEAR(theirs.density, ref->scalar("prdc_density"), 1e-14);
    EXPECT_NEAR(theirs.coverage, ref->scalar("prdc_coverage"), 1e-15);
  }
}

}  // namespace
}  // namespace latentlab::metrics
#endif  // LATENTLAB_WITH_ZIP
