// FD-DINOv2 in compute_generative_metrics (metrics/evaluate/evaluate.cpp): one pass of a DINOv2-like extractor
// keeps the moments of its global feature (the first output, `cls`), the distance is the Fréchet closed form,
// and sets that are not DINOv2 features are refused. The DINOv2 network itself is tested in
// tests/unit/models/dinov2_test.cpp and against PyTorch in tests/reference/models/.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "metrics/evaluate/evaluate.h"
#include "metrics/features/dinov2_extractor.h"
#include "support/expect_user_error.h"

namespace latentlab::metrics {
namespace {

using testing::problem_of;

// A 3-d "cls" feature: each image's mean colour, plus a constant shift per extractor.
class ShiftedColours : public FeatureExtractor {
 public:
  explicit ShiftedColours(double shift) : shift_(shift) {}
  std::string name() const override { return "dinov2-vit-l14"; }
  std::vector<FeatureOutput> outputs() const override { return {{kFeatureCls, 3, ""}}; }
  Features extract(const at::Tensor& images) override {
    return {{kFeatureCls, images.to(at::kFloat).mean({1, 2}) / 255 + shift_}};
  }
  nlohmann::json protocol() const override { return {{"extractor", "dinov2-vit-l14"}, {"resize", "x"}}; }

 private:
  double shift_;
};

FeatureSet extract(double shift, const std::string& role) {
  at::manual_seed(5);  // the same images on both sides
  const at::Tensor all = at::randint(0, 256, {12, 3, 4, 4}, at::kByte);
  bool done = false;
  const ImageBatches next = [&]() -> std::optional<at::Tensor> {
    if (done) return std::nullopt;
    done = true;
    return all;
  };
  ShiftedColours extractor(shift);
  FeatureSet set = extract_feature_set(next, extractor, needs_of({"fd_dinov2"}, true), nullptr, role);
  set.source = role;
  return set;
}

TEST(FdDinoV2Test, EqualCovariancesLeaveTheSquaredMeanDistance) {
  GenerativeOptions options;
  options.metrics = {"fd_dinov2"};
  const FeatureSet real = extract(0.0, "real"), fake = extract(0.5, "fake");
  const auto out = compute_generative_metrics(options, &real, fake);
  // ‖(0.5, 0.5, 0.5)‖² with equal covariances; the features are float32, so x + 0.5 rounds each value by up to
  // 2⁻²⁴ (6e-8), which moves the squared distance by up to ~2·3·0.5·6e-8 = 2e-7.
  EXPECT_NEAR(out[kKeyFdDinov2].get<double>(), 3 * 0.25, 2e-7);
  EXPECT_EQ(out["count_real"], 12);
}

TEST(FdDinoV2Test, OtherFeaturesAreRefused) {
  GenerativeOptions options;
  options.metrics = {"fd_dinov2"};
  const FeatureSet real = extract(0.0, "real");
  FeatureSet inception = extract(0.0, "inception.npz");
  inception.stats.protocol["extractor"]["extractor"] = "inception-2015-12-05";
  inception.stats.protocol["extractor"]["resize"] = "x";
  // Same weights/resize keys compare equal except the extractor name, which check_same_extractor reports.
  EXPECT_FALSE(problem_of([&] { compute_generative_metrics(options, &real, inception); }, "inception.npz").empty());
  // A file without protocol: 2048-d means pytorch-fid Inception statistics.
  FeatureSet fid_file;
  fid_file.source = "fid.npz";
  fid_file.stats.pool3 = stats::GaussianStats{at::zeros({2048}, at::kDouble), at::eye(2048, at::kDouble)};
  EXPECT_CONTAINS(problem_of([&] { compute_generative_metrics(options, &fid_file, fid_file); }, "fid.npz"),
                  "fd_dinov2 needs DINOv2 CLS statistics");
}

}  // namespace
}  // namespace latentlab::metrics
