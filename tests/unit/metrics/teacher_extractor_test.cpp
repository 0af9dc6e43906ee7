// The teacher feature extractor (metrics/features/teacher_extractor.h) and fd-teacher in
// compute_generative_metrics: on a tiny seeded procedural teacher saved as `train-teacher` saves it, the feature
// is the plain spatial mean of the teacher's token map (computed here from the network directly), independent
// of the batch size; the protocol carries the spec and the weights' SHA-256; fd-teacher is the Fréchet distance
// of those features and refuses sets of other extractors; bad options are one-line usage errors.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include "io/sha256.h"
#include "metrics/evaluate/evaluate.h"
#include "metrics/features/registry.h"
#include "metrics/features/teacher_extractor.h"
#include "metrics/generative/frechet.h"
#include "models/teacher_procedural.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab::metrics {
namespace {

using testing::problem_of;

// 16² input, two stride-2 levels: a 4×4 token map of width 8.
class TeacherExtractorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::ScratchDir>();
    models::ProceduralTeacherConfig config;
    config.resolution = 16;
    config.channels = 4;
    config.levels = 2;
    config.blocks = 0;
    config.width = 8;
    config.groups = 2;
    at::manual_seed(11);
    net_ = std::make_unique<models::ProceduralTeacherNet>(config);
    (*net_)->eval();
    models::save_procedural_teacher(weights(), *net_);
  }
  static void TearDownTestSuite() {
    net_.reset();
    dir_.reset();
  }
  static std::string weights() { return dir_->file("teacher.safetensors"); }
  static FeatureExtractorOptions options(int64_t batch_size) {
    FeatureExtractorOptions o;
    o.features = std::string(kTeacherFeaturesPrefix) + "procedural:" + weights();
    o.batch_size = batch_size;
    return o;
  }
  static at::Tensor images(int64_t n, uint64_t seed) {  // (N, H, W, 3) uint8
    at::manual_seed(seed);
    return at::randint(0, 256, {n, 16, 16, 3}, at::kByte);
  }
  // The feature by hand: the network's token map on x/127.5 − 1, averaged over its 4×4 cells.
  static at::Tensor expected(const at::Tensor& nhwc) {
    c10::NoGradGuard no_grad;
    const at::Tensor x = nhwc.permute({0, 3, 1, 2}).to(at::kFloat) / 127.5 - 1;
    return (*net_)->token_map(x).mean({2, 3});
  }
  static FeatureSet set_of(FeatureExtractor& extractor, const at::Tensor& nhwc, const std::string& role) {
    bool done = false;
    const ImageBatches next = [&]() -> std::optional<at::Tensor> {
      if (done) return std::nullopt;
      done = true;
      return nhwc.permute({0, 3, 1, 2});
    };
    FeatureSet set = extract_feature_set(next, extractor, needs_of({kKeyFdTeacher}, true), nullptr, role);
    set.source = role;
    return set;
  }
  static std::unique_ptr<testing::ScratchDir> dir_;
  static std::unique_ptr<models::ProceduralTeacherNet> net_;
};
std::unique_ptr<testing::ScratchDir> TeacherExtractorTest::dir_;
std::unique_ptr<models::ProceduralTeacherNet> TeacherExtractorTest::net_;

TEST_F(TeacherExtractorTest, FeatureIsTheTokenMapMeanWhateverTheBatch) {
  const at::Tensor x = images(5, 1);
  const auto one = make_features_extractor(options(1), "");
  const auto all = make_features_extractor(options(5), "");
  const at::Tensor a = one->extract(x).at(kFeatureTeacherMean), b = all->extract(x).at(kFeatureTeacherMean);
  ASSERT_EQ(a.sizes(), (at::IntArrayRef{5, 8}));
  EXPECT_EQ(a.scalar_type(), at::kFloat);
  // 4×4 cells pooled to 16×16 repeat each cell 16 times: the same mean up to float32 rounding.
  EXPECT_LT((a - expected(x)).abs().max().item<double>(), 1e-6);
  EXPECT_LT((a - b).abs().max().item<double>(), 1e-6);
  EXPECT_EQ(one->extract(x.narrow(0, 0, 0)).at(kFeatureTeacherMean).sizes(), (at::IntArrayRef{0, 8}));
}

TEST_F(TeacherExtractorTest, ProtocolNamesTheSpecAndTheWeights) {
  const auto extractor = make_features_extractor(options(4), "");
  EXPECT_EQ(extractor->name(), "teacher-procedural");
  const auto p = extractor->protocol();
  EXPECT_EQ(p["extractor"], "teacher-procedural");
  EXPECT_EQ(p["teacher_spec"], "procedural:" + weights());
  EXPECT_EQ(p["weights_sha256"], io::sha256_file(weights()));
  EXPECT_TRUE(p["weights_official"].is_null());
  EXPECT_EQ(p["grid"], kTeacherFeatureGrid);
  EXPECT_EQ(p["outputs"][kFeatureTeacherMean], 8);
}

TEST_F(TeacherExtractorTest, FdTeacherIsTheFrechetDistanceOfTheFeatures) {
  const auto extractor = make_features_extractor(options(3), "");
  const at::Tensor xa = images(9, 2), xb = images(7, 3);
  const FeatureSet a = set_of(*extractor, xa, "a"), b = set_of(*extractor, xb, "b");
  GenerativeOptions metrics;
  metrics.metrics = {kKeyFdTeacher};
  const auto same = compute_generative_metrics(metrics, &a, a);
  EXPECT_LT(std::abs(same[kKeyFdTeacher].get<double>()), 1e-9);
  EXPECT_FALSE(same.contains(kKeyFid));
  // Two-pass float64 statistics of the hand-computed features.
  auto gaussian = [](const at::Tensor& f32) {
    const at::Tensor f = f32.to(at::kDouble), mu = f.mean(0), c = f - mu;
    return std::pair{mu, c.t().mm(c) / (f.size(0) - 1)};
  };
  const auto [mu_a, sigma_a] = gaussian(expected(xa));
  const auto [mu_b, sigma_b] = gaussian(expected(xb));
  const double want = frechet_distance(mu_a, sigma_a, mu_b, sigma_b);
  const double got = compute_generative_metrics(metrics, &a, b)[kKeyFdTeacher].get<double>();
  EXPECT_GT(want, 1e-4);
  EXPECT_NEAR(got, want, 1e-5 * want);
}

TEST_F(TeacherExtractorTest, OtherFeaturesAreRefused) {
  const auto extractor = make_features_extractor(options(4), "");
  const FeatureSet a = set_of(*extractor, images(4, 4), "a");
  FeatureSet inception = a;
  inception.source = "inception.npz";
  inception.stats.protocol["extractor"]["extractor"] = "inception-2015-12-05";
  GenerativeOptions metrics;
  metrics.metrics = {kKeyFdTeacher};
  EXPECT_CONTAINS(problem_of([&] { compute_generative_metrics(metrics, &a, inception); }, "inception.npz"),
                  "not comparable");
  EXPECT_CONTAINS(problem_of([&] { compute_generative_metrics(metrics, &inception, inception); }, "inception.npz"),
                  "holds inception-2015-12-05 features, but fd-teacher needs teacher statistics");
  FeatureSet plain = a;  // a pytorch-fid style file: no protocol, so no way to tell what made it
  plain.source = "plain.npz";
  plain.stats.protocol = nullptr;
  EXPECT_CONTAINS(problem_of([&] { compute_generative_metrics(metrics, &plain, a); }, "plain.npz"),
                  "unlabelled (no protocol)");
}

TEST_F(TeacherExtractorTest, BadOptionsAreOneLineUsageErrors) {
  FeatureExtractorOptions o = options(4);
  o.features = "teacher:";
  EXPECT_CONTAINS(problem_of([&] { make_features_extractor(o, ""); }, "--features"), "needs a teacher spec");
  o = options(4);
  o.weights = "w.pth";
  EXPECT_CONTAINS(problem_of([&] { make_features_extractor(o, ""); }, "--extractor-weights"), "teacher spec");
  o = options(4);
  o.resize = "tf1-bilinear";
  EXPECT_FALSE(problem_of([&] { make_features_extractor(o, ""); }, "--extractor-resize").empty());
  o = options(4);
  o.features = "clip";
  EXPECT_CONTAINS(problem_of([&] { make_features_extractor(o, ""); }, "--features"), "unknown feature extractor");
  o.features = "teacher:clip:x";
  EXPECT_CONTAINS(problem_of([&] { make_features_extractor(o, ""); }, "teacher"), "unknown teacher");
}

}  // namespace
}  // namespace latentlab::metrics
