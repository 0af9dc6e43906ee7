// Feature shard files (metrics/evaluate/feature_shard.h) and the checks every shard merge makes
// (metrics/evaluate/shard_file.h). Oracle: one pass over all images through the same extractor. The features
// are pixel sums / 64 of uint8 images, exact in float32 whatever the batch, so the merged rows must equal the
// one pass's bit for bit and IS/KID/PR with them; FID/sFID differ only by the moments merge's rounding.
#include "metrics/evaluate/feature_shard.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "metrics/evaluate/shard_file.h"
#include "metrics/features/inception_extractor.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab::metrics {
namespace {

// pool3 = per-channel pixel sums / 64 (3 columns), spatial = their squares / 1024, logits = pool3 / 8.
class PixelSums : public FeatureExtractor {
 public:
  std::string name() const override { return "pixel-sums"; }
  std::vector<FeatureOutput> outputs() const override {
    return {{kFeaturePool3, 3, ""}, {kFeatureSpatial, 3, ""}, {kFeatureLogitsUnbiased, 3, ""}};
  }
  Features extract(const at::Tensor& nhwc) override {
    const at::Tensor sums = nhwc.to(at::kFloat).sum({1, 2}) / 64;
    return {{kFeaturePool3, sums}, {kFeatureSpatial, sums * sums / 1024}, {kFeatureLogitsUnbiased, sums / 8}};
  }
  nlohmann::json protocol() const override { return {{"extractor", "pixel-sums"}, {"weights_official", false}}; }
};

#ifdef LATENTLAB_WITH_ZIP  // writes .npz files
FeatureSet one_pass(const at::Tensor& images, const std::string& role, const std::string& shard) {
  PixelSums extractor;
  bool given = false;
  const ImageBatches once = [&]() -> std::optional<at::Tensor> {
    if (given) return std::nullopt;
    given = true;
    return images;
  };
  const std::vector<std::string> names = {"fid", "sfid", "is", "kid", "pr"};
  return extract_feature_set(once, extractor, needs_of(names, role == "real"),
                             {{"dataset", role + "-set"}, {"shard", shard}}, role);
}

TEST(EvaluateShard, ThreeShardsMergeToOnePass) {
  at::manual_seed(3);
  const at::Tensor real = at::randint(0, 256, {12, 3, 8, 8}, at::kByte),
                   fake = at::randint(0, 256, {11, 3, 8, 8}, at::kByte);
  MetricChoices choices;
  choices.metrics = {"fid,sfid", "is,kid,pr"};
  choices.kid_subsets = 5;
  const GenerativeOptions options = choices.resolve();
  const FeatureSet whole_real = one_pass(real, "real", "0/1"), whole_fake = one_pass(fake, "fake", "0/1");
  testing::ScratchDir dir;
  std::vector<std::string> files;
  for (int i = 0; i < 3; ++i) {
    std::vector<FeatureShardSide> sides;
    for (const auto& [role, images] : {std::pair{std::string("real"), real}, {std::string("fake"), fake}}) {
      const at::Tensor mine = images.index_select(0, at::arange(i, images.size(0), 3));  // positions i, i + 3, ...
      sides.push_back({role, MetricInput{MetricInput::Kind::Images, role + "-set"},
                       one_pass(mine, role, std::to_string(i) + "/3")});
    }
    files.push_back(dir.file("s" + std::to_string(i) + ".npz"));
    write_feature_shard(files.back(), i, 3, choices, sides);
  }
  const MergedFeatures merged = merge_feature_shards({files[2], files[0], files[1]});
  ASSERT_EQ(merged.sides.size(), 2u);
  const FeatureSet &r = merged.sides[0].set, &f = merged.sides[1].set;
  EXPECT_TRUE(at::equal(r.pool3_rows, whole_real.pool3_rows));
  EXPECT_TRUE(at::equal(f.pool3_rows, whole_fake.pool3_rows));
  EXPECT_TRUE(at::equal(f.logits, whole_fake.logits));
  EXPECT_EQ(r.count(), 12);
  EXPECT_EQ(r.stats.protocol, whole_real.stats.protocol);  // shard 0/1, the extractor's protocol
  EXPECT_EQ(merged.choices.to_json(), choices.to_json());

  const auto a = compute_generative_metrics(options, &whole_real, whole_fake);
  const auto b = compute_generative_metrics(options, &r, f);
  for (const auto& [key, value] : a.items()) {
    if (key == "fid" || key == "sfid")
      EXPECT_NEAR(b.at(key).get<double>(), value.get<double>(), 1e-12 * value.get<double>()) << key;
    else
      EXPECT_EQ(b.at(key), value) << key;
  }
}
#endif

TEST(EvaluateShard, MergeChecksRefuseMissingRepeatedAndOverlappingShards) {
  const std::vector<std::string> files = {"a.npz", "b.npz", "c.npz"};
  EXPECT_EQ(check_complete_shards({"2/3", "0/3", "1/3"}, files), (std::vector<size_t>{1, 2, 0}));
  EXPECT_CONTAINS(testing::problem_of(
                      [&] {
                        check_complete_shards({"0/3", "1/3"}, {"a.npz", "b.npz"});
                      },
                      "a.npz"),
                  "but 2 shard files were given");
  EXPECT_CONTAINS(testing::problem_of(
                      [&] {
                        check_complete_shards({"0/3", "2/3", "0/3"}, files);
                      },
                      "c.npz"),
                  "is shard 0/3, like a.npz");
  EXPECT_CONTAINS(testing::problem_of(
                      [&] {
                        check_complete_shards({"0/3", "x", "1/3"}, files);
                      },
                      "b.npz"),
                  "is shard x");

  const auto positions = [](std::vector<int64_t> p) { return at::tensor(p, at::TensorOptions().dtype(at::kLong)); };
  const at::Tensor order = position_order({positions({0, 3}), positions({1, 4}), positions({2})}, files, "image");
  EXPECT_TRUE(at::equal(order, positions({0, 2, 4, 1, 3})));  // rows of shards 0, 1, 2 back in position order
  EXPECT_CONTAINS(testing::problem_of(
                      [&] {
                        position_order({positions({0, 2}), positions({1, 2})}, files, "image");
                      },
                      "b.npz"),
                  "image position 2 is also in a.npz");
  EXPECT_CONTAINS(testing::problem_of(
                      [&] {
                        position_order({positions({0, 3}), positions({1})}, files, "image");
                      },
                      "a.npz"),
                  "outside the 3 rows");
}

}  // namespace
}  // namespace latentlab::metrics
