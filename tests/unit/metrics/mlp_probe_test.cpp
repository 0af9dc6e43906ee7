// The separability probe: on XOR-like data (the class is the sign of x0·x1) a linear probe is at chance while
// the one-hidden-layer MLP finds the rule; on linearly separable data both reach the same accuracy; the
// attribute report puts a low linear/MLP ratio on the XOR attribute and ≈ 1 on the linear one; seeded fits
// are identical.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "metrics/probes/classification_scores.h"
#include "metrics/probes/linear_probe.h"
#include "metrics/probes/mlp_probe.h"
#include "metrics/probes/probe_report.h"
#include "metrics/probes/standardize.h"

namespace latentlab::metrics {
namespace {

// (N, 2 + extra) uniform in [-1, 1]; columns past 2 are noise.
at::Tensor points(int64_t n, int64_t extra, uint64_t seed) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(seed);
  return at::empty({n, 2 + extra}, at::kDouble).uniform_(-1, 1, g);
}

at::Tensor xor_labels(const at::Tensor& x) {
  return (x.select(1, 0) * x.select(1, 1) > 0).to(at::kLong);
}

at::Tensor linear_labels(const at::Tensor& x) {
  return (x.select(1, 0) + 0.5 * x.select(1, 1) > 0).to(at::kLong);
}

std::vector<int32_t> ids(const at::Tensor& y) {
  const auto c = y.to(at::kInt).contiguous();
  return {c.data_ptr<int32_t>(), c.data_ptr<int32_t>() + c.numel()};
}

struct Accuracies {
  double linear, mlp;
};

Accuracies linear_and_mlp(at::Tensor (*rule)(const at::Tensor&)) {
  const auto train = points(600, 1, 1), validation = points(200, 1, 2), test = points(400, 1, 3);
  ProbeOptions o;
  o.fixed_c = 1.0;
  const auto linear = fit_class_probe(train, rule(train), test, rule(test), o);
  const auto scaler = fit_standardizer(train);
  MlpOptions m;
  m.hidden = 64;  // enough for these rules, and fast on a busy 2-core machine
  const auto model =
      fit_mlp_classifier(scaler.apply(train), rule(train), 2, scaler.apply(validation), rule(validation), m);
  const auto mlp = multiclass_scores(model.probabilities(scaler.apply(test)), ids(rule(test)), {1});
  EXPECT_GE(model.best_epoch, 1);
  EXPECT_LE(model.best_epoch, model.epochs);
  return {linear.test.accuracy, mlp.accuracy};
}

TEST(MlpProbe, BeatsTheLinearProbeOnXor) {
  const auto a = linear_and_mlp(xor_labels);
  EXPECT_LT(a.linear, 0.65);  // chance is 0.5: no linear rule predicts the sign of a product
  EXPECT_GT(a.mlp, 0.9);
}

TEST(MlpProbe, TiesTheLinearProbeOnSeparableData) {
  const auto a = linear_and_mlp(linear_labels);
  EXPECT_GT(a.linear, 0.97);
  EXPECT_NEAR(a.mlp, a.linear, 0.03);
}

TEST(MlpProbe, SeededFitsAreIdentical) {
  const auto x = points(200, 0, 4), v = points(50, 0, 5);
  MlpOptions o;
  o.hidden = 16;
  o.max_epochs = 5;
  const auto a = fit_mlp_classifier(x, xor_labels(x), 2, v, xor_labels(v), o);
  const auto b = fit_mlp_classifier(x, xor_labels(x), 2, v, xor_labels(v), o);
  EXPECT_TRUE(at::equal(a.w1, b.w1));
  EXPECT_TRUE(at::equal(a.w2, b.w2));
  o.seed = 1;
  const auto c = fit_mlp_classifier(x, xor_labels(x), 2, v, xor_labels(v), o);
  EXPECT_FALSE(at::equal(a.w1, c.w1));
}

TEST(MlpProbe, AttributeReportRatios) {
  ProbeData d;
  const auto x = points(1000, 2, 6);
  d.features = x.to(at::kFloat);
  d.attributes = at::stack({xor_labels(x), linear_labels(x)}, 1);
  d.attribute_names = {"xor", "linear"};
  const auto splits = make_splits(d, {0.2, 0.3}, 0, "test data");
  ProbeRunOptions o;
  o.linear.fixed_c = 1.0;
  o.mlp = true;
  o.mlp_options.hidden = 64;
  const auto report = run_probes(d, splits, o);
  const auto& sep = report.results["attributes"]["separability"];
  ASSERT_EQ(sep.size(), 2u);
  EXPECT_EQ(sep[0]["name"], "xor");
  EXPECT_LT(sep[0]["linear_mlp_ratio"].get<double>(), 0.75);
  EXPECT_NEAR(sep[1]["linear_mlp_ratio"].get<double>(), 1.0, 0.03);
  EXPECT_EQ(report.protocol["targets"]["attributes"], nlohmann::json({"xor", "linear"}));
  EXPECT_NE(report.table.find("linear/MLP"), std::string::npos) << report.table;
}

}  // namespace
}  // namespace latentlab::metrics
