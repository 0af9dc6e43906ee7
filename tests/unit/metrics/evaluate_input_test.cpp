// Metric inputs (sniffing, stats:), the generative metric registry and --metrics parsing.
#include "metrics/evaluate/input_spec.h"

#include <gtest/gtest.h>

#include <filesystem>

#include <ATen/ATen.h>

#include "core/error.h"
#include "io/npz.h"
#include "metrics/evaluate/evaluate.h"
#include "metrics/evaluate/metric_registry.h"
#include "support/test_support.h"

namespace latentlab::metrics {
namespace {

#ifdef LATENTLAB_WITH_ZIP  // writes .npz files
void write_keys(const std::string& path, const std::vector<std::string>& keys) {
  io::NamedArrays arrays;
  const double one = 1;
  for (const auto& k : keys) arrays.emplace_back(k, io::Array::copy_of(io::DType::F64, {1}, &one, sizeof one));
  io::write_npz(path, arrays, false);
}
#endif

int usage_code(const std::function<void()>& f, const std::string& says) {
  try {
    f();
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    return e.exit_code();
  }
  return 0;
}

#ifdef LATENTLAB_WITH_ZIP  // writes .npz files
TEST(MetricInput, SniffsBarePathsAndRoundTrips) {
  testing::ScratchDir dir;
  std::filesystem::create_directories(dir.file("imgs"));
  write_keys(dir.file("fid.npz"), {"mu", "sigma"});
  write_keys(dir.file("adm_ref.npz"), {"arr_0", "mu", "sigma", "mu_s", "sigma_s"});
  write_keys(dir.file("samples.npz"), {"arr_0", "arr_1"});
  write_keys(dir.file("other.npz"), {"x"});
  struct Case {
    std::string text;
    MetricInput::Kind kind;
    std::string canonical;
  };
  for (const auto& c : std::vector<Case>{
           {dir.file("imgs"), MetricInput::Kind::Images, "images:" + dir.file("imgs")},
           {dir.file("fid.npz"), MetricInput::Kind::Stats, "stats:" + dir.file("fid.npz")},
           {dir.file("adm_ref.npz"), MetricInput::Kind::Stats, "stats:" + dir.file("adm_ref.npz")},
           {dir.file("samples.npz"), MetricInput::Kind::Images, "npz:" + dir.file("samples.npz")},
           {"stats:" + dir.file("x.npz"), MetricInput::Kind::Stats, "stats:" + dir.file("x.npz")},
           {"shapes:n=4,res=32", MetricInput::Kind::Images, "shapes:n=4,res=32"},
           {"npz:" + dir.file("adm_ref.npz"), MetricInput::Kind::Images, "npz:" + dir.file("adm_ref.npz")},
       }) {
    const auto input = parse_metric_input(c.text, "--real");
    EXPECT_EQ(input.kind, c.kind) << c.text;
    EXPECT_EQ(input.to_string(), c.canonical) << c.text;
    const auto again = parse_metric_input(input.to_string(), "--real");  // printing round-trips
    EXPECT_EQ(again.to_string(), input.to_string());
  }
  EXPECT_EQ(usage_code([&] { parse_metric_input(dir.file("other.npz"), "--real"); }, "its keys: x"), 2);
  EXPECT_EQ(usage_code([&] { parse_metric_input(dir.file("nope"), "--fake"); }, "no such file"), 2);
  EXPECT_EQ(usage_code([&] { parse_metric_input("stats:", "--fake"); }, "needs a file"), 2);
}
#endif

TEST(MetricRegistry, ListsNeedsAndParsesNames) {
  EXPECT_EQ(generative_metric_names(),
            (std::vector<std::string>{"fid", "sfid", "is", "kid", "pr", "fd_dinov2", "fd_teacher"}));
  EXPECT_EQ(parse_metric_names({"fd-dinov2", "fd_dinov2,fd-teacher"}, "--metrics"),
            (std::vector<std::string>{"fd_dinov2", "fd_teacher"}));  // either spelling
  EXPECT_EQ(needs_of({"is"}, true), kNeedNothing);
  EXPECT_EQ(needs_of({"fid", "is"}, false), kNeedPool3Stats | kNeedLogits);
  EXPECT_EQ(needs_of({"sfid", "kid"}, true), kNeedSpatialStats | kNeedPool3Rows);
  EXPECT_EQ(parse_metric_names({"fid,is", "kid,fid"}, "--metrics"), (std::vector<std::string>{"fid", "is", "kid"}));
  EXPECT_EQ(usage_code([] { parse_metric_names({"fid,fd"}, "--metrics"); }, "unknown metric 'fd' (known: fid"), 2);
  EXPECT_EQ(usage_code([] { parse_metric_names({","}, "--metrics"); }, "names no metric"), 2);
}

#ifdef LATENTLAB_WITH_ZIP  // writes .npz files
TEST(MetricRegistry, StatisticsInputsServeFidOnly) {
  testing::ScratchDir dir;
  stats::write_fid_stats(dir.file("fid.npz"), {at::zeros({3}, at::kDouble), at::eye(3, at::kDouble)});
  const auto input = parse_metric_input(dir.file("fid.npz"), "--real");
  EXPECT_EQ(usage_code([&] { load_stats_set(input, {"fid", "kid", "pr"}, true, "--real"); }, "kid, pr need"), 2);
  EXPECT_EQ(usage_code([&] { load_stats_set(input, {"is"}, false, "--fake"); }, "is needs"), 2);
  EXPECT_EQ(usage_code([&] { load_stats_set(input, {"sfid"}, true, "--real"); }, "sfid needs them"), 2);
}
#endif

}  // namespace
}  // namespace latentlab::metrics
