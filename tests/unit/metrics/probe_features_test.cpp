// Probe inputs: features of a small latent store (mean flattened, pooled per channel, seeded samples) equal
// the values written; labels and factors come through; .npz feature files with an official split; the seeded
// and official splits; joined split inputs; one-line errors for unusable inputs.
#include <gtest/gtest.h>

#include <set>

#include <ATen/ATen.h>

#include "io/tensor_convert.h"
#include "metrics/probes/probe_features.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"
#if LATENTLAB_WITH_HDF5
#include "unit/store/store_test_util.h"
#endif
#if LATENTLAB_WITH_ZIP
#include "io/npz.h"
#endif

namespace latentlab::metrics {
namespace {

using latentlab::testing::problem_of;
using latentlab::testing::ScratchDir;

#if LATENTLAB_WITH_HDF5
TEST(ProbeFeatures, LatentStoreModes) {
  namespace st = store::testing;
  ScratchDir dir;
  const auto id = st::test_identity();  // 4 x 3 x 5 latents, attributes size and colour (values 0..4)
  const auto positions = st::iota_positions(300);
  st::write_store(dir.file("s.h5"), id, positions, 64);
  const auto batch = st::make_batch(id, positions);

  const auto mean = read_probe_data(dir.file("s.h5"), FeatureMode::Mean, 0);
  EXPECT_EQ(mean.kind, "latent store");
  ASSERT_EQ(mean.features.sizes(), (std::vector<int64_t>{300, 60}));
  EXPECT_TRUE(at::equal(mean.features, batch.mean.reshape({300, 60})));
  EXPECT_TRUE(at::equal(mean.labels, batch.labels));
  EXPECT_TRUE(at::equal(mean.attributes, batch.attributes.to(at::kLong)));
  EXPECT_EQ(mean.attribute_names, (std::vector<std::string>{"size", "colour"}));
  EXPECT_FALSE(mean.split.defined());

  const auto pooled = read_probe_data(dir.file("s.h5"), FeatureMode::Pooled, 0);
  ASSERT_EQ(pooled.features.sizes(), (std::vector<int64_t>{300, 4}));
  EXPECT_TRUE(at::allclose(pooled.features, batch.mean.mean({2, 3}), 1e-6, 1e-6));

  // z = mean + std * eps: standard normal eps, fixed by the seed.
  const auto a = read_probe_data(dir.file("s.h5"), FeatureMode::Sample, 7);
  const auto b = read_probe_data(dir.file("s.h5"), FeatureMode::Sample, 7);
  const auto c = read_probe_data(dir.file("s.h5"), FeatureMode::Sample, 8);
  EXPECT_TRUE(at::equal(a.features, b.features));
  EXPECT_FALSE(at::equal(a.features, c.features));
  const auto eps = (a.features - batch.mean.reshape({300, 60})) / batch.std.reshape({300, 60});
  EXPECT_NEAR(eps.mean().item<double>(), 0.0, 0.03);
  EXPECT_NEAR(eps.std().item<double>(), 1.0, 0.03);
}
#endif

#if LATENTLAB_WITH_ZIP
TEST(ProbeFeatures, NpzWithOfficialSplit) {
  ScratchDir dir;
  const auto features = at::arange(6 * 2 * 2 * 2, at::kFloat).reshape({6, 2, 2, 2});
  const auto labels = at::tensor(std::vector<int64_t>{0, 1, 0, 1, 0, 1});
  const auto split = at::tensor(std::vector<int64_t>{0, 0, 0, 1, 2, 2});
  io::write_npz(
      dir.file("f.npz"),
      {{"features", io::to_array(features)}, {"labels", io::to_array(labels)}, {"split", io::to_array(split)}}, false);
  const auto d = read_probe_data(dir.file("f.npz"), FeatureMode::Mean, 0);
  EXPECT_EQ(d.kind, "npz");
  EXPECT_TRUE(at::equal(d.features, features.reshape({6, 8})));
  const auto pooled = read_probe_data(dir.file("f.npz"), FeatureMode::Pooled, 0);
  EXPECT_TRUE(at::allclose(pooled.features, features.mean({2, 3})));
  const auto s = make_splits(d, {}, 0, "f.npz");
  EXPECT_EQ(s.train, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(s.validation, (std::vector<int64_t>{3}));
  EXPECT_EQ(s.test, (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(s.source, "official (file)");

  EXPECT_CONTAINS(problem_of([&] { read_probe_data(dir.file("f.npz"), FeatureMode::Sample, 0); }, dir.file("f.npz")),
                  "needs a latent store");
  io::write_npz(dir.file("g.npz"), {{"labels", io::to_array(labels)}}, false);
  EXPECT_CONTAINS(problem_of([&] { read_probe_data(dir.file("g.npz"), FeatureMode::Mean, 0); }, dir.file("g.npz")),
                  "no 'features' array");
  io::write_npz(dir.file("h.npz"),
                {{"features", io::to_array(features)}, {"labels", io::to_array(labels.narrow(0, 0, 5))}}, false);
  EXPECT_CONTAINS(problem_of([&] { read_probe_data(dir.file("h.npz"), FeatureMode::Mean, 0); }, dir.file("h.npz")),
                  "'labels' must have 1 dimension(s) and 6 rows");
}
#endif

TEST(ProbeFeatures, SeededSplitAndCarvedValidation) {
  ProbeData d;
  d.features = at::zeros({100, 3});
  d.labels = at::zeros({100}, at::kLong);
  const auto s = make_splits(d, {0.1, 0.2}, 3, "x");
  EXPECT_EQ(s.train.size(), 70u);
  EXPECT_EQ(s.validation.size(), 10u);
  EXPECT_EQ(s.test.size(), 20u);
  std::set<int64_t> all(s.train.begin(), s.train.end());
  all.insert(s.validation.begin(), s.validation.end());
  all.insert(s.test.begin(), s.test.end());
  EXPECT_EQ(all.size(), 100u);
  EXPECT_EQ(make_splits(d, {0.1, 0.2}, 3, "x").test, s.test);
  EXPECT_NE(make_splits(d, {0.1, 0.2}, 4, "x").test, s.test);
  EXPECT_EQ(s.to_json()["fractions"]["test"], 0.2);

  // Separate train and test inputs: validation carved off the training rows.
  ProbeData test;
  test.features = at::ones({10, 3});
  test.labels = at::zeros({10}, at::kLong);
  const auto joined = join_splits(d, nullptr, test, "", "test.h5");
  const auto j = make_splits(joined, {0.1, 0.2}, 0, "x", "separate inputs");
  EXPECT_EQ(j.train.size(), 90u);
  EXPECT_EQ(j.validation.size(), 10u);
  EXPECT_EQ(j.test, (std::vector<int64_t>{100, 101, 102, 103, 104, 105, 106, 107, 108, 109}));
  EXPECT_EQ(j.source, "separate inputs, validation carved from training (seeded)");
  test.features = at::ones({10, 4});
  EXPECT_CONTAINS(problem_of([&] { join_splits(d, nullptr, test, "", "test.h5"); }, "test.h5"),
                  "has 4 features per row but the training input has 3");
}

}  // namespace
}  // namespace latentlab::metrics
