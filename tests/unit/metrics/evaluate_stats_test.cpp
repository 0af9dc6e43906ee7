// One pass of images through an extractor (batch independence, what is kept), latentlab statistics files
// (write, read, exact shard merge), and compute_generative_metrics on closed forms.
#include "metrics/evaluate/evaluate.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "core/error.h"
#include "metrics/features/inception_extractor.h"
#include "support/test_support.h"

namespace latentlab::metrics {
namespace {

// Deterministic 6-d "pool3", 4-d "spatial", 5-d "logits_unbiased" from pixel statistics of (N, H, W, 3) uint8.
class FakeExtractor : public FeatureExtractor {
 public:
  std::string name() const override { return "fake"; }
  std::vector<FeatureOutput> outputs() const override {
    return {{kFeaturePool3, 6, ""}, {kFeatureSpatial, 4, ""}, {kFeatureLogitsUnbiased, 5, ""}};
  }
  Features extract(const at::Tensor& images) override {
    const auto x = images.to(at::kFloat).reshape({images.size(0), -1, 3}) / 255;
    const auto f = at::cat({x.mean(1), x.std(1)}, 1);  // (N, 6)
    return {{kFeaturePool3, f},
            {kFeatureSpatial, f.slice(1, 0, 4) * 2},
            {kFeatureLogitsUnbiased, at::cat({f.slice(1, 0, 5)}, 1) * 3}};
  }
  nlohmann::json protocol() const override { return {{"extractor", "fake"}, {"weights_official", false}}; }
};

at::Tensor images(int64_t n, int64_t seed) {
  at::manual_seed(seed);
  return at::randint(0, 256, {n, 3, 8, 8}, at::kByte);
}

ImageBatches batches_of(const at::Tensor& all, int64_t batch) {
  auto next = std::make_shared<int64_t>(0);
  return [all, batch, next]() -> std::optional<at::Tensor> {
    if (*next >= all.size(0)) return std::nullopt;
    const auto b = all.slice(0, *next, std::min(*next + batch, all.size(0)));
    *next += batch;
    return b;
  };
}

TEST(EvaluateStats, OnePassIsBatchIndependentAndKeepsOnlyWhatIsNeeded) {
  FakeExtractor ex;
  const auto all = images(30, 1);
  const auto one = extract_feature_set(batches_of(all, 30), ex, kNeedPool3Stats | kNeedSpatialStats, {}, "real");
  const auto many = extract_feature_set(batches_of(all, 7), ex, kNeedPool3Stats | kNeedSpatialStats, {}, "real");
  EXPECT_EQ(one.count(), 30);
  EXPECT_FALSE(one.pool3_rows.defined());
  EXPECT_FALSE(one.logits.defined());
  EXPECT_LE((one.stats.pool3->sigma - many.stats.pool3->sigma).abs().max().item<double>(), 1e-15);
  EXPECT_LE((one.stats.spatial->mu - many.stats.spatial->mu).abs().max().item<double>(), 1e-15);
  EXPECT_EQ(one.stats.protocol["extractor"]["extractor"], "fake");
  const auto rows = extract_feature_set(batches_of(all, 4), ex, kNeedPool3Rows | kNeedLogits, {}, "fake");
  EXPECT_FALSE(rows.stats.pool3.has_value());
  EXPECT_EQ(rows.pool3_rows.sizes(), (at::IntArrayRef{30, 6}));
  EXPECT_EQ(rows.logits.sizes(), (at::IntArrayRef{30, 5}));
  EXPECT_THROW(extract_feature_set(batches_of(all.slice(0, 0, 0), 4), ex, kNeedPool3Stats, {}, "fake"), UserError);
}

#ifdef LATENTLAB_WITH_ZIP  // writes .npz files
TEST(EvaluateStats, FileRoundTripsAndShardsMergeExactly) {
  testing::ScratchDir dir;
  FakeExtractor ex;
  const auto all = images(31, 2);
  const unsigned needs = kNeedPool3Stats | kNeedSpatialStats;
  auto whole = extract_feature_set(batches_of(all, 8), ex, needs, {{"dataset", "d"}, {"shard", "0/1"}}, "real");
  write_feature_stats(dir.file("whole.npz"), whole.stats);
  std::vector<std::string> shards;
  for (int i = 0; i < 3; ++i) {
    // shard i/3 = rows i, i+3, ... (the pipeline's rule)
    const auto rows = at::arange(i, 31, 3, at::kLong);
    auto part = extract_feature_set(batches_of(all.index_select(0, rows), 5), ex, needs,
                                    {{"dataset", "d"}, {"shard", std::to_string(i) + "/3"}}, "real");
    shards.push_back(dir.file("s" + std::to_string(i) + ".npz"));
    write_feature_stats(shards.back(), part.stats);
  }
  const auto read = read_feature_stats(dir.file("whole.npz"));
  EXPECT_EQ(read.layout, "latentlab");
  EXPECT_EQ(read.count, 31);
  EXPECT_TRUE(at::equal(read.pool3->sigma, whole.stats.pool3->sigma));
  EXPECT_TRUE(at::equal(read.spatial->mu, whole.stats.spatial->mu));
  const auto merged = merge_feature_stats({shards[2], shards[0], shards[1]});
  EXPECT_EQ(merged.count, 31);
  EXPECT_EQ(merged.protocol, read.protocol);  // a complete set of shards is the whole dataset ("0/1")
  EXPECT_LE((merged.pool3->sigma - read.pool3->sigma).abs().max().item<double>(), 1e-15);
  EXPECT_LE((merged.spatial->sigma - read.spatial->sigma).abs().max().item<double>(), 1e-15);
  EXPECT_EQ(merge_feature_stats({shards[0], shards[1]}).protocol["shard"], "merged:0/3,1/3");
  // pytorch-fid files are read, but hold no moments to merge.
  stats::write_fid_stats(dir.file("fid.npz"), *read.pool3);
  EXPECT_EQ(read_feature_stats(dir.file("fid.npz")).layout, "pytorch-fid");
  EXPECT_THROW(merge_feature_stats({shards[0], dir.file("fid.npz")}), UserError);
}
#endif

TEST(EvaluateStats, FidOfGaussianStatsIsTheClosedForm) {
  // N(mu1, a^2 I) vs N(mu2, b^2 I) in d dims: |mu1 - mu2|^2 + d (a - b)^2 (docs/METRICS.md §15).
  const int64_t d = 5;
  FeatureSet real, fake;
  real.source = "real", fake.source = "fake";
  real.stats.pool3 = stats::GaussianStats{at::zeros({d}, at::kDouble), at::eye(d, at::kDouble) * 4};
  fake.stats.pool3 = stats::GaussianStats{at::ones({d}, at::kDouble), at::eye(d, at::kDouble) * 9};
  GenerativeOptions options;
  options.metrics = {"fid"};
  const auto r = compute_generative_metrics(options, &real, fake);
  EXPECT_NEAR(r[kKeyFid].get<double>(), 5 + 5 * 1.0, 1e-12);
  EXPECT_TRUE(r[kKeyOfficialWeights].is_null());  // no set says which weights made it
  EXPECT_NE(summarize_generative_metrics(r).find("FID (Inception weights unknown): 10.0"), std::string::npos);
  // Sets from different extractor weights are not compared.
  real.stats.protocol = {{"extractor", {{"extractor", "x"}, {"weights_sha256", "aa"}, {"resize", "r"}}}};
  fake.stats.protocol = {{"extractor", {{"extractor", "x"}, {"weights_sha256", "bb"}, {"resize", "r"}}}};
  EXPECT_THROW(compute_generative_metrics(options, &real, fake), UserError);
}

}  // namespace
}  // namespace latentlab::metrics
