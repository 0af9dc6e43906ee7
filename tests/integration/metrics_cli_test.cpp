// latentlab stats / fid / metrics end to end, on seeded random FID-Inception weights (pytorch-fid layout,
// tests/integration/make_inception_weights.py), two tiny PNG folders from `latentlab datasets make shapes` and
// the statistics file of one: tests/support/make_metrics_inputs.py writes them, once per ctest run as the
// fixture named by LATENTLAB_METRICS_INPUTS (tests/CMakeLists.txt), else once per process into a scratch folder.
// The commands read the weights as safetensors; one case reads the same tensors from the legacy .pth of the
// published file (~1-3 CPU-s more a process, docs/benchmarks.md), against the Python reference that loads it.
// The Fréchet distance at D = 2048 costs seconds on CPU, so each test computes at most two; all commands run
// with one OpenMP/intra-op thread (faster than two on a loaded 2-core machine, docs/benchmarks.md).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include <nlohmann/json.hpp>

#include "io/npz.h"
#include "support/metrics_inputs.h"
#include "support/test_support.h"

namespace latentlab {
namespace {

testing::CommandResult latentlab(const std::string& args) {
  return testing::run_command("OMP_NUM_THREADS=1 " + std::string(LATENTLAB_BINARY) + " " + args +
                              " --quiet --threads 1");
}

// Both folders hold N images (N > 5 for density/coverage's k = 5) of 32 × 32 shapes (IMAGES of
// make_metrics_inputs.py).
constexpr int kImages = 10;

class MetricsCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::ScratchDir>();
    inputs_ = testing::metrics_inputs(*dir_);
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string weights() { return inputs_ + "/inception.safetensors"; }
  static std::string legacy_weights() { return inputs_ + "/inception.pth"; }  // the same tensors
  static std::string folder(const std::string& name) { return inputs_ + "/" + name; }
  static std::string stats_a() { return inputs_ + "/a.npz"; }  // the statistics file of folder a
  static std::string ex() { return " --extractor-weights " + weights(); }
  static nlohmann::json results(const std::string& path) { return nlohmann::json::parse(testing::read_text(path)); }
  static std::string inputs_;
  static std::unique_ptr<testing::ScratchDir> dir_;  // holds the inputs when no fixture made them
  testing::ScratchDir scratch;
};
std::string MetricsCli::inputs_;
std::unique_ptr<testing::ScratchDir> MetricsCli::dir_;

// A float64 array of a statistics file.
std::vector<double> read_f64(const std::string& path, const std::string& key) {
  const io::NpzReader npz(path);
  const io::Array a = npz.read(key);
  EXPECT_EQ(a.dtype, io::DType::F64) << key;
  const auto* p = reinterpret_cast<const double*>(a.data);
  size_t n = 1;
  for (auto d : a.shape) n *= static_cast<size_t>(d);
  return std::vector<double>(p, p + n);
}

double max_abs_diff(const std::vector<double>& x, const std::vector<double>& y) {
  EXPECT_EQ(x.size(), y.size());
  double m = 0;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

// A set against its own statistics file: identical features (same decode, same batch order, deterministic
// CPU forward), so mu1 == mu2 and sigma1 == sigma2 bit for bit and FID = 2 tr S - 2 tr (S S)^(1/2) is float64
// rounding only. S has rank <= 9 here; the Fréchet code zeroes eigenvalues below the numerical-rank cutoff,
// so the ~2039 noise eigenvalues add no sqrt(1e-16 |S|) terms and what remains is ~1e-15 relative to tr S
// (tr S is O(10) with these weights). Measured: 4e-15 (FID), -1e-14 (sFID); asserted 1e-6.
TEST_F(MetricsCli, SetAgainstItsOwnStatsFileGivesZeroFidAndSfid) {
  const std::string stats = stats_a(), out = scratch.file("self.json");
  const auto r = latentlab("fid " + folder("a") + " " + stats + " --sfid --out " + out + ex());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("FID (unofficial Inception weights):"), std::string::npos) << r.out;
  const auto doc = results(out);
  EXPECT_LE(std::abs(doc["results"]["fid"].get<double>()), 1e-6);
  EXPECT_LE(std::abs(doc["results"]["sfid"].get<double>()), 1e-6);
  EXPECT_EQ(doc["results"]["official_weights"], false);
  EXPECT_EQ(doc["results"]["count_real"], kImages);
  EXPECT_EQ(doc["protocol"]["official_weights"], false);
  EXPECT_EQ(doc["protocol"]["resize"], "tf1-bilinear");
  EXPECT_EQ(doc["protocol"]["weights_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(doc["protocol"]["sets"]["real"]["layout"], "latentlab");
  EXPECT_EQ(doc["protocol"]["sets"]["real"]["protocol"]["dataset"], "images:" + folder("a"));
}

// stats make in 3 shards + stats merge equals the unsharded file: the moments add exactly up to float64
// rounding of the pairwise (Chan et al.) update, far below 1e-12 at these magnitudes.
TEST_F(MetricsCli, ShardedStatsMergeToTheUnshardedFile) {
  const std::string whole = scratch.file("whole.npz"), merged = scratch.file("merged.npz");
  const auto made = latentlab("stats make " + folder("b") + " --batch-size 3 --out " + whole + ex());
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_NE(made.out.find("unofficial Inception weights"), std::string::npos) << made.out;
  std::string shards;
  for (int i = 0; i < 3; ++i) {
    const std::string shard = scratch.file("s" + std::to_string(i) + ".npz");
    const auto r =
        latentlab("stats make " + folder("b") + " --shard " + std::to_string(i) + "/3 --out " + shard + ex());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    shards += " " + shard;
  }
  const auto r = latentlab("stats merge" + shards + " --out " + merged);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("shard 0/1"), std::string::npos) << r.out;
  for (const char* key : {"mu", "sigma", "mu_s", "sigma_s"})
    EXPECT_LE(max_abs_diff(read_f64(whole, key), read_f64(merged, key)), 1e-12) << key;
  EXPECT_EQ(read_f64(whole, "mu").size(), 2048u);
  EXPECT_EQ(read_f64(whole, "sigma_s").size(), 2023u * 2023u);
  // The merged protocol is the unsharded one.
  const auto info_whole = latentlab("stats info " + whole), info_merged = latentlab("stats info " + merged);
  EXPECT_EQ(info_whole.out.substr(info_whole.out.find('\n')), info_merged.out.substr(info_merged.out.find('\n')));
  // A file of another dataset does not merge.
  const auto bad =
      latentlab("stats merge " + scratch.file("s0.npz") + " " + stats_a() + " --out " + scratch.file("bad.npz"));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("protocol differs"), std::string::npos) << bad.err;
  EXPECT_FALSE(testing::file_exists(scratch.file("bad.npz")));
}

// FID of two folders agrees with tests/reference/metrics/fid_pipeline_reference.py (torchvision PNG decode,
// TF1 bilinear resize, the reference network, np.cov, scipy.linalg.sqrtm) within 1e-4 relative (float32
// features: pool3 agrees to ~1e-5; measured 2.9e-6 relative on 12 + 12 images), and FID with a statistics
// file in place of a folder is the same number (same features, same moments). The folder FID is the one
// end-to-end run on the legacy .pth (the file the reference loads with torch.load); the statistics file was
// made from the safetensors copy, so the match also shows that both files give the same features.
TEST_F(MetricsCli, FolderFidMatchesPythonReferenceAndStatsFile) {
  const std::string out = scratch.file("ab.json"), stats = stats_a();
  auto r = latentlab("fid " + folder("a") + " " + folder("b") + " --out " + out + " --extractor-weights " +
                     legacy_weights());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = results(out);
  const double fid = doc["results"]["fid"].get<double>();
  EXPECT_EQ(doc["inputs"].back()["path"], legacy_weights());
  const auto py = testing::run_command("OMP_NUM_THREADS=1 " + std::string(LATENTLAB_REFERENCE_PYTHON) + " " +
                                       LATENTLAB_SOURCE_DIR + "/tests/reference/metrics/fid_pipeline_reference.py " +
                                       legacy_weights() + " " + folder("a") + " " + folder("b"));
  ASSERT_EQ(py.exit_code, 0) << py.err;
  const double reference = std::stod(py.out);
  EXPECT_GT(reference, 0);
  EXPECT_LE(std::abs(fid - reference), 1e-4 * reference) << fid << " vs " << reference;

  r = latentlab("fid stats:" + stats + " " + folder("b") + " --out " + scratch.file("sb.json") + ex());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NEAR(results(scratch.file("sb.json"))["results"]["fid"].get<double>(), fid, 1e-9 * fid);
}

// IS, KID and precision/recall from one pass over each folder (no Fréchet distance: cheap), with their
// protocol parameters in the results.
TEST_F(MetricsCli, MetricsCommandWritesIsKidPrWithProtocol) {
  const std::string out = scratch.file("m.json");
  const auto r = latentlab("metrics --metrics is,kid --metrics pr --real " + folder("a") + " --fake " + folder("b") +
                           " --kid-subsets 10 --out " + out + ex());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* label : {"IS (unofficial", "KID (unofficial", "Precision (unofficial", "Coverage (unofficial"})
    EXPECT_NE(r.out.find(label), std::string::npos) << label << " in " << r.out;
  const auto doc = results(out);
  const auto& res = doc["results"];
  EXPECT_GE(res["inception_score_mean"].get<double>(), 1.0);
  EXPECT_TRUE(res["kernel_inception_distance_mean"].is_number());
  EXPECT_EQ(res["kid_subset_size"], kImages);  // 1000 lowered to the set size
  for (const char* key : {"precision", "recall", "density", "coverage"}) EXPECT_TRUE(res[key].is_number()) << key;
  EXPECT_GE(res["precision"].get<double>(), 0.0);
  EXPECT_LE(res["recall"].get<double>(), 1.0);
  const auto& options = doc["protocol"]["metric_options"];
  EXPECT_EQ(options["metrics"], nlohmann::json({"is", "kid", "pr"}));
  EXPECT_EQ(options["kid"]["subsets"], 10);
  EXPECT_EQ(options["kid"]["seed"], 2020);
  EXPECT_EQ(options["pr"]["pr_k"], 3);
  EXPECT_EQ(options["pr"]["dc_k"], 5);
  EXPECT_EQ(options["is"]["splits"], 10);
  EXPECT_EQ(doc["protocol"]["sets"]["fake"]["count"], kImages);
  EXPECT_FALSE(doc["protocol_fingerprint"].get<std::string>().empty());
  EXPECT_EQ(doc["inputs"].back()["role"], "extractor_weights");
}

TEST_F(MetricsCli, BadInputsGiveOneLineAndExitCodes) {
  // A pytorch-fid statistics file (mu, sigma): serves fid, refused for kid.
  const std::string stats = scratch.file("fid_stats.npz");
  const double mu[2] = {0, 1}, sigma[4] = {1, 0, 0, 1};
  io::write_npz(stats,
                {{"mu", io::Array::copy_of(io::DType::F64, {2}, mu, sizeof mu)},
                 {"sigma", io::Array::copy_of(io::DType::F64, {2, 2}, sigma, sizeof sigma)}},
                false);
  struct Case {
    std::string args;
    int code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"metrics --metrics kid --real " + stats + " --fake " + folder("b") + ex(), 2, "statistics serve fid and sfid"},
      {"metrics --metrics fid,bogus --real " + folder("a") + " --fake " + folder("b") + ex(), 2,
       "unknown metric 'bogus'"},
      {"fid " + folder("a") + " " + folder("b") + " --extractor-weights " + scratch.file("missing.pth"), 1,
       "missing.pth"},
      {"fid " + folder("a") + " " + folder("b"), 2, "--extractor-weights"},
      {"fid " + stats + " " + scratch.file("nothing_here"), 2, "no such file or directory"},
      {"metrics --metrics sfid --real " + stats + " --fake " + folder("b") + ex(), 2, "sfid needs them"},
      {"metrics --metrics fid --fake " + folder("b") + ex(), 2, "--real"},
  };
  for (const auto& c : cases) {
    const auto r = latentlab(c.args);
    EXPECT_EQ(r.exit_code, c.code) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

}  // namespace
}  // namespace latentlab
