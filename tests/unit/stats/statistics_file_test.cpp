// Statistics files: round trips of the three layouts, exact shard merging through latentlab's own file,
// numpy reading what latentlab writes and latentlab reading what numpy writes
// (tests/reference/metrics/statistics_file_reference.py, np.load / np.savez_compressed as pytorch-fid uses
// them), and one UserError per broken file: missing keys, shapes that disagree, wrong dtypes, protocols
// that differ between shards.
#ifdef LATENTLAB_WITH_ZIP  // .npz needs libzip: without it this file tests nothing
#include "stats/statistics_file.h"

#include <gtest/gtest.h>

#include <cstdio>

#include <ATen/ATen.h>

#include "core/error.h"
#include "io/npz.h"
#include "io/tensor_convert.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab::stats {
namespace {

using testing::problem_of;

at::Tensor features(int64_t n, int64_t d, uint64_t seed) {
  at::manual_seed(seed);
  return at::matmul(at::randn({n, d}, at::kDouble), at::randn({d, d}, at::kDouble)) + 3.0;
}

RunningMoments moments_of(const at::Tensor& x, bool full = true) {
  RunningMoments m(x.size(1), full);
  m.update(x);
  return m;
}

const nlohmann::json kProtocol = {{"extractor", "inception-2015-12-05"}, {"resize", "tf1-bilinear"}, {"n", 3}};

void write(const std::string& path, std::vector<std::pair<std::string, at::Tensor>> tensors) {
  io::NamedArrays arrays;
  for (auto& [name, t] : tensors) arrays.emplace_back(name, io::to_array(t, name));
  io::write_npz(path, arrays, false);
}

TEST(StatisticsFile, PytorchFidLayoutRoundTripsExactly) {
  testing::ScratchDir dir;
  const auto m = moments_of(features(100, 7, 1));
  const GaussianStats stats{m.mean(), m.covariance()};
  for (bool compressed : {true, false}) {
    write_fid_stats(dir.file("s.npz"), stats, compressed);
    const auto back = read_fid_stats(dir.file("s.npz"));
    EXPECT_TRUE(at::equal(back.mu, stats.mu));
    EXPECT_TRUE(at::equal(back.sigma, stats.sigma));
    EXPECT_EQ(back.mu.scalar_type(), at::kDouble);
  }
  EXPECT_EQ(io::NpzReader(dir.file("s.npz")).names(), (std::vector<std::string>{"mu", "sigma"}));
  // float32 stats (some tools write them) are widened.
  write(dir.file("f32.npz"), {{"mu", stats.mu.to(at::kFloat)}, {"sigma", stats.sigma.to(at::kFloat)}});
  EXPECT_TRUE(at::equal(read_fid_stats(dir.file("f32.npz")).mu, stats.mu.to(at::kFloat).to(at::kDouble)));
}

TEST(StatisticsFile, MomentsFileRoundTripsAndIsReadableAsFidStats) {
  testing::ScratchDir dir;
  const auto m = moments_of(features(100, 7, 2));
  write_moments_file(dir.file("m.npz"), m, kProtocol);
  const auto back = read_moments_file(dir.file("m.npz"));
  EXPECT_EQ(back.protocol, kProtocol);
  EXPECT_EQ(back.moments.count(), 100);
  EXPECT_TRUE(at::equal(back.moments.mean(), m.mean()));
  EXPECT_TRUE(at::equal(back.moments.m2(), m.m2()));
  const auto fid = read_fid_stats(dir.file("m.npz"));
  EXPECT_TRUE(at::equal(fid.sigma, m.covariance()));
  // Diagonal accumulators (per-channel latent statistics) round-trip too, without mu/sigma.
  const auto diag = moments_of(features(10, 5, 3), false);
  write_moments_file(dir.file("d.npz"), diag, nlohmann::json::object());
  const auto diag_back = read_moments_file(dir.file("d.npz"));
  EXPECT_FALSE(diag_back.moments.full_covariance());
  EXPECT_TRUE(at::equal(diag_back.moments.m2(), diag.m2()));
  EXPECT_FALSE(io::NpzReader(dir.file("d.npz")).contains("sigma"));
}

TEST(StatisticsFile, ShardsMergeExactly) {
  testing::ScratchDir dir;
  const auto x = features(1000, 9, 4);
  std::vector<std::string> paths;
  RunningMoments in_memory(9, true);
  const std::vector<int64_t> bounds{0, 1, 333, 700, 1000};
  for (size_t s = 0; s + 1 < bounds.size(); ++s) {
    const auto shard = moments_of(x.slice(0, bounds[s], bounds[s + 1]));
    paths.push_back(dir.file("shard" + std::to_string(s) + ".npz"));
    write_moments_file(paths.back(), shard, kProtocol);
    in_memory.merge(shard);
  }
  const auto merged = merge_moments_files(paths);
  // Reading back is bit-exact, so merging files is the same float64 computation as merging in memory.
  EXPECT_EQ(merged.moments.count(), 1000);
  EXPECT_TRUE(at::equal(merged.moments.mean(), in_memory.mean()));
  EXPECT_TRUE(at::equal(merged.moments.m2(), in_memory.m2()));
  // And equal to the statistics of all rows at once up to float64 rounding of the Chan updates.
  const auto all = moments_of(x);
  EXPECT_LT(
      ((merged.moments.covariance() - all.covariance()).abs().max() / all.covariance().abs().max()).item<double>(),
      1e-13);
  EXPECT_EQ(merged.protocol, kProtocol);
}

TEST(StatisticsFile, ShardsWithOtherProtocolsOrShapesAreRefused) {
  testing::ScratchDir dir;
  write_moments_file(dir.file("a.npz"), moments_of(features(10, 3, 5)), kProtocol);
  auto other = kProtocol;
  other["resize"] = "pil-bicubic";
  write_moments_file(dir.file("b.npz"), moments_of(features(10, 3, 6)), other);
  write_moments_file(dir.file("c.npz"), moments_of(features(10, 4, 6)), kProtocol);
  EXPECT_CONTAINS(problem_of(
                      [&] {
                        merge_moments_files({dir.file("a.npz"), dir.file("b.npz")});
                      },
                      dir.file("b.npz")),
                  "protocol differs");
  EXPECT_CONTAINS(problem_of(
                      [&] {
                        merge_moments_files({dir.file("a.npz"), dir.file("c.npz")});
                      },
                      dir.file("c.npz")),
                  "holds 4 full moments");
}

TEST(StatisticsFile, AdmReferenceStatsWithAndWithoutSpatialStatistics) {
  testing::ScratchDir dir;
  const auto a = moments_of(features(20, 4, 7)), b = moments_of(features(20, 6, 8));
  write(dir.file("ref.npz"), {{"arr_0", at::zeros({2, 4, 4, 3}, at::kByte)},
                              {"mu", a.mean()},
                              {"sigma", a.covariance()},
                              {"mu_s", b.mean()},
                              {"sigma_s", b.covariance()}});
  const auto ref = read_adm_reference_stats(dir.file("ref.npz"));
  EXPECT_TRUE(at::equal(ref.pool.sigma, a.covariance()));
  ASSERT_TRUE(ref.spatial.has_value());
  EXPECT_TRUE(at::equal(ref.spatial->mu, b.mean()));
  write(dir.file("mar.npz"), {{"mu", a.mean()}, {"sigma", a.covariance()}});  // MAR/LightningDiT: no sFID stats
  EXPECT_FALSE(read_adm_reference_stats(dir.file("mar.npz")).spatial.has_value());
  write(dir.file("half.npz"), {{"mu", a.mean()}, {"sigma", a.covariance()}, {"mu_s", b.mean()}});
  EXPECT_CONTAINS(problem_of([&] { read_adm_reference_stats(dir.file("half.npz")); }, dir.file("half.npz")),
                  "missing key 'sigma_s'");
}

TEST(StatisticsFile, BrokenFilesNameTheFileAndTheKey) {
  testing::ScratchDir dir;
  const auto path = dir.file("bad.npz");
  write(path, {{"mu", at::zeros({3}, at::kDouble)}});
  auto problem = problem_of([&] { read_fid_stats(path); }, path);
  EXPECT_CONTAINS(problem, "missing key 'sigma'");
  EXPECT_CONTAINS(problem, "this file has 'mu'");
  write(path, {{"mu", at::zeros({3}, at::kDouble)}, {"sigma", at::eye(4, at::kDouble)}});
  EXPECT_CONTAINS(problem_of([&] { read_fid_stats(path); }, path), "key 'sigma' has shape [4, 4], expected [3, 3]");
  write(path, {{"mu", at::zeros({3, 1}, at::kDouble)}, {"sigma", at::eye(3, at::kDouble)}});
  EXPECT_CONTAINS(problem_of([&] { read_fid_stats(path); }, path), "key 'mu' has shape [3, 1]");
  write(path, {{"mu", at::zeros({3}, at::kLong)}, {"sigma", at::eye(3, at::kDouble)}});
  EXPECT_CONTAINS(problem_of([&] { read_fid_stats(path); }, path), "key 'mu' has dtype I64");
  write(path, {{"mu", at::full({3}, NAN, at::kDouble)}, {"sigma", at::eye(3, at::kDouble)}});
  EXPECT_CONTAINS(problem_of([&] { read_fid_stats(path); }, path), "NaN");
  EXPECT_CONTAINS(problem_of([&] { read_moments_file(path); }, path), "missing key 'count'");

  const auto m = moments_of(features(10, 3, 9));
  const auto count = at::scalar_tensor(10, at::kLong);
  const auto text = at::tensor(std::vector<uint8_t>{'{', '}'}, at::kByte);
  write(path, {{"count", count}, {"mean", m.mean()}, {"m2", at::eye(4, at::kDouble)}, {"protocol", text}});
  EXPECT_CONTAINS(problem_of([&] { read_moments_file(path); }, path), "key 'm2' has shape [4, 4]");
  write(path, {{"count", count.to(at::kDouble)}, {"mean", m.mean()}, {"m2", m.m2()}, {"protocol", text}});
  EXPECT_CONTAINS(problem_of([&] { read_moments_file(path); }, path), "key 'count' must be an int64 scalar");
  write(path, {{"count", count}, {"mean", m.mean()}, {"m2", m.m2()}, {"protocol", text.slice(0, 0, 1)}});
  EXPECT_CONTAINS(problem_of([&] { read_moments_file(path); }, path), "key 'protocol' is not valid JSON");
  EXPECT_THROW(read_fid_stats(dir.file("missing.npz")), UserError);
}

TEST(StatisticsFile, NumpyReadsOursAndWeReadNumpys) {
  ASSERT_TRUE(testing::reference_python_has("numpy")) << "Debian's python3-numpy is required";
  testing::ScratchDir dir;
  const auto x = features(500, 12, 10);
  write(dir.file("features.npz"), {{"x", x}});
  const auto m = moments_of(x);
  write_fid_stats(dir.file("fid.npz"), {m.mean(), m.covariance()});
  write_moments_file(dir.file("moments.npz"), m, kProtocol);
  const auto r = testing::run_reference_python("metrics/statistics_file_reference.py", "check " + dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_CONTAINS(r.out, "ok");
  std::printf("numpy on latentlab's files (max relative differences):\n%s", r.out.c_str());
  // numpy's np.mean / np.cov written with np.savez_compressed, as pytorch-fid --save-stats does; both sides
  // are float64 two-pass-equivalent computations (1e-12 relative covers summation order).
  const auto theirs = read_fid_stats(dir.file("numpy_fid.npz"));
  EXPECT_LT(((theirs.mu - m.mean()).abs().max() / m.mean().abs().max()).item<double>(), 1e-12);
  EXPECT_LT(((theirs.sigma - m.covariance()).abs().max() / m.covariance().abs().max()).item<double>(), 1e-12);
  const auto adm = read_adm_reference_stats(dir.file("adm_ref.npz"));
  EXPECT_TRUE(at::equal(adm.pool.mu, theirs.mu));
  ASSERT_TRUE(adm.spatial.has_value());
  EXPECT_EQ(adm.spatial->sigma.sizes(), (at::IntArrayRef{6, 6}));
}

}  // namespace
}  // namespace latentlab::stats
#endif  // LATENTLAB_WITH_ZIP
