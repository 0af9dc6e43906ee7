// `latentlab metrics --shard i/n` + `latentlab metrics merge` against one unsharded `metrics` run, on the
// MetricsCliInputs fixture (tests/support/make_metrics_inputs.py: seeded random FID-Inception weights as safetensors,
// two folders of 10 shapes PNGs at 32², the statistics file of folder a; made here when the fixture did not run).
// Oracles: the unsharded run (IS, KID, precision/recall/density/coverage must be equal bit for bit; FID to
// float64 rounding of the moments merge) and its protocol fingerprint (equal), plus `latentlab fid` for the
// statistics-file input that shards pass through. One OpenMP/intra-op thread, as metrics_cli_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "support/expect_user_error.h"
#include "support/metrics_inputs.h"
#include "support/shard_runs.h"
#include "support/test_support.h"

namespace latentlab {
namespace {

using testing::latentlab_quiet;
using testing::read_json;

class MetricsShardCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::ScratchDir>();
    inputs_ = testing::metrics_inputs(*dir_);
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string in(const std::string& name) { return inputs_ + "/" + name; }
  static std::string ex() { return " --extractor-weights " + in("inception.safetensors"); }
  static std::string inputs_;
  static std::unique_ptr<testing::ScratchDir> dir_;
  testing::ScratchDir scratch;
};
std::string MetricsShardCli::inputs_;
std::unique_ptr<testing::ScratchDir> MetricsShardCli::dir_;

// 3 shards (4 + 3 + 3 images of each folder) merged in another order equal one process: the rows are the
// same float32 features in the same order, so IS (seed-2020 shuffle), KID (seed-2020 subsets) and
// precision/recall/density/coverage are the same doubles; FID's moments differ only by the rounding of
// Chan's merge (~1e-16 relative), which the Fréchet code's eigendecompositions keep far below 1e-9.
TEST_F(MetricsShardCli, ThreeShardsMergeToTheUnshardedRun) {
  const std::string args =
      "metrics --metrics fid,is,kid,pr --real " + in("a") + " --fake " + in("b") + " --kid-subsets 10" + ex();
  const std::string whole = scratch.file("whole.json"), merged = scratch.file("merged.json");
  const auto w = latentlab_quiet(args + " --out " + whole);
  ASSERT_EQ(w.exit_code, 0) << w.err;
  const std::vector<std::string> parts = testing::run_shards(args, 3, scratch, "part_");
  const auto part0 = read_json(parts[0]);
  EXPECT_EQ(part0["results"]["shard"], "0/3");
  EXPECT_EQ(part0["results"]["shard_file"], "part_0.npz");
  EXPECT_EQ(part0["results"]["count_fake"], 4);
  EXPECT_EQ(part0["protocol"]["sets"]["real"]["protocol"]["shard"], "0/3");
  EXPECT_TRUE(testing::file_exists(scratch.file("part_0.npz")));

  const auto m = testing::merge_shards("metrics", parts[2] + " " + parts[0] + " " + parts[1], merged);
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_EQ(m.out.substr(m.out.find("\nIS")), w.out.substr(w.out.find("\nIS")));  // all but the FID line
  const auto a = read_json(whole), b = read_json(merged);
  testing::expect_same_results(b, a,
                               {"inception_score_mean", "inception_score_std", "kernel_inception_distance_mean",
                                "kernel_inception_distance_std", "kid_subset_size", "precision", "recall", "density",
                                "coverage", "count_real", "count_fake", "official_weights"});
  const double fid = a["results"]["fid"].get<double>();
  EXPECT_GT(fid, 0.0);
  EXPECT_NEAR(b["results"]["fid"].get<double>(), fid, 1e-9 * fid);
  // The merged protocol is the unsharded one: sets of shard 0/1, 10 images each.
  EXPECT_EQ(b["protocol_fingerprint"], a["protocol_fingerprint"]);
  EXPECT_EQ(b["protocol"]["sets"], a["protocol"]["sets"]);
  EXPECT_EQ(b["command"], "metrics merge");
}

// A statistics input is not sharded: each shard records the file and its SHA-256 and the merge reads it,
// so the merged FID equals `latentlab fid` of the same file against the whole folder (the same features and
// moments up to merge rounding: 1e-9 relative, as metrics_cli_test's folder-vs-statistics check). Merges of an
// incomplete, repeated or foreign set of shards, or after the statistics file changed, fail with one line
// and write nothing.
TEST_F(MetricsShardCli, StatisticsInputsPassThroughAndBadShardSetsAreRefused) {
  const std::string stats = scratch.file("a.npz");
  std::filesystem::copy_file(in("a.npz"), stats);
  const std::string args = "metrics --metrics fid --real " + stats + " --fake " + in("b") + ex();
  const std::vector<std::string> parts = testing::run_shards(args, 2, scratch, "part_");
  const std::string &p0 = parts[0], &p1 = parts[1];
  EXPECT_EQ(read_json(p0)["protocol"]["sets"]["real"]["layout"], "latentlab");
  // Shard 1/2 of another run (other metric options): its protocol differs beyond the shard.
  const std::string other = scratch.file("other.json");
  ASSERT_EQ(latentlab_quiet(args + " --pr-k 4 --shard 1/2 --out " + other).exit_code, 0);
  const std::string fid_json = scratch.file("fid.json");  // the oracle, and a results file of no shard
  const auto f = latentlab_quiet("fid " + stats + " " + in("b") + " --out " + fid_json + ex());
  ASSERT_EQ(f.exit_code, 0) << f.err;

  const std::string out = scratch.file("bad.json");
  testing::expect_refused_merges("metrics",
                                 {{p0, "1 shard files were given"},
                                  {p0 + " " + p0, "is shard 0/2, like"},
                                  {p0 + " " + other, "differs beyond the shard"},
                                  {p0 + " " + fid_json, "is not the results file of a `latentlab metrics"}},
                                 out);
  const std::string saved = testing::read_text(stats);
  testing::write_bytes(stats, saved + " ");  // a changed file: refused
  const auto changed = testing::merge_shards("metrics", p0 + " " + p1, out);
  EXPECT_EQ(changed.exit_code, 1);
  EXPECT_CONTAINS(changed.err, "changed since the shards were made");
  testing::write_bytes(stats, saved);

  const auto m = testing::merge_shards("metrics", p1 + " " + p0, out);
  ASSERT_EQ(m.exit_code, 0) << m.err;
  const auto merged = read_json(out);
  const double fid = read_json(fid_json)["results"]["fid"].get<double>();
  EXPECT_NEAR(merged["results"]["fid"].get<double>(), fid, 1e-9 * fid);
  EXPECT_EQ(merged["results"]["count_fake"], 10);
  EXPECT_EQ(merged["protocol"]["sets"]["real"]["input"], "stats:" + stats);
  EXPECT_EQ(merged["protocol"]["sets"]["fake"]["protocol"]["shard"], "0/1");
}

}  // namespace
}  // namespace latentlab
