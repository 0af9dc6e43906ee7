// latentlab recon end to end: a seeded random tiny-f4d4 VAE (`vae init`), the procedural shapes dataset at
// 32², seeded random FID-Inception weights (the MetricsCliInputs fixture's safetensors file) and seeded
// random LPIPS-VGG weights in the published file forms (tests/reference/models/lpips_reference.py). Checks the
// results JSON (fields, sane values, protocol), skipped metrics, batch-size independence, and bad inputs (one
// line, exit code, no output file).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include <nlohmann/json.hpp>

#include "support/expect_user_error.h"
#include "support/metrics_inputs.h"
#include "support/test_support.h"

namespace latentlab {
namespace {

testing::CommandResult latentlab(const std::string& args) {
  return testing::run_command("OMP_NUM_THREADS=1 " + std::string(LATENTLAB_BINARY) + " " + args +
                              " --quiet --threads 1");
}

constexpr const char* kData = "shapes:seed=3,n=4,res=32";

class ReconCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::ScratchDir>();
    const auto v =
        testing::run_command(std::string(LATENTLAB_BINARY) + " vae init --preset tiny-f4d4 --seed 0 --out " + vae());
    ASSERT_EQ(v.exit_code, 0) << v.err;
    // The Inception weights (safetensors) of the metrics fixture (ctest: MetricsCliInputs), made here without it.
    inception_ = testing::metrics_inputs(*dir_) + "/inception.safetensors";
    const auto l =
        testing::run_reference_python("models/lpips_reference.py", "write " + dir_->path() + " --size 32 32");
    ASSERT_EQ(l.exit_code, 0) << l.err;
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string vae() { return dir_->file("vae.safetensors"); }
  static std::string base() { return "recon --vae " + vae() + " --data " + kData; }
  static std::string lpips() {
    return " --lpips-weights " + dir_->file("vgg16.pth") + " --lpips-weights " + dir_->file("heads.pth");
  }
  static std::string inception() { return " --extractor-weights " + inception_; }
  static nlohmann::json read(const std::string& path) { return nlohmann::json::parse(testing::read_text(path)); }
  static std::unique_ptr<testing::ScratchDir> dir_;
  static std::string inception_;
  testing::ScratchDir scratch;
};
std::unique_ptr<testing::ScratchDir> ReconCli::dir_;
std::string ReconCli::inception_;

TEST_F(ReconCli, AllMetricsWithTheirProtocol) {
  const auto r = latentlab(base() + inception() + lpips() + " --out " + scratch.file("r.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "rFID: ");
  EXPECT_CONTAINS(r.out, "LPIPS: ");
  const auto doc = read(scratch.file("r.json"));
  const auto& res = doc["results"];
  EXPECT_EQ(res["count"], 4);
  EXPECT_TRUE(res["skipped"].empty()) << res.dump();
  // A random VAE reconstructs poorly but finitely: rFID ≥ 0, PSNR a few dB, SSIM in [-1, 1), LPIPS > 0.
  EXPECT_GE(res["rfid"].get<double>(), 0.0);
  EXPECT_TRUE(std::isfinite(res["rfid"].get<double>()));
  EXPECT_GT(res["psnr"].get<double>(), 0.0);
  EXPECT_LT(res["psnr"].get<double>(), 60.0);
  EXPECT_EQ(res["psnr_infinite_count"], 0);
  EXPECT_GT(res["ssim"].get<double>(), -1.0);
  EXPECT_LT(res["ssim"].get<double>(), 1.0);
  EXPECT_GT(res["lpips"].get<double>(), 0.0);
  const auto& p = doc["protocol"];
  EXPECT_EQ(p["reconstruction"], "posterior-mean");
  EXPECT_EQ(p["count"], 4);
  EXPECT_EQ(p["dataset"], kData);
  EXPECT_EQ(p["preprocess"], "none");
  EXPECT_EQ(p["vae_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(p["ssim"]["padding"], "valid");
  EXPECT_EQ(p["lpips"]["variant"], "lpips-v0.1-vgg16");
  EXPECT_EQ(p["lpips"]["trunk_weights_sha256"].get<std::string>().size(), 64u);
  EXPECT_NE(p["lpips"]["trunk_weights_sha256"], p["lpips"]["heads_weights_sha256"]);
  EXPECT_EQ(p["weights_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(doc["inputs"].size(), 4u);  // vae, extractor weights, two LPIPS files
}

TEST_F(ReconCli, SkippedMetricsSayWhyAndResultsIgnoreTheBatchSize) {
  for (const std::string mode : {"", " --sample --seed 4"}) {
    SCOPED_TRACE(mode);
    const auto a = latentlab(base() + mode + " --batch-size 4 --out " + scratch.file("a.json"));
    const auto b = latentlab(base() + mode + " --batch-size 3 --out " + scratch.file("b.json"));
    ASSERT_EQ(a.exit_code, 0) << a.err;
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_CONTAINS(a.out, "rFID: skipped (no Inception weights given)");
    EXPECT_CONTAINS(a.out, "LPIPS: skipped (no LPIPS weights given)");
    const auto ra = read(scratch.file("a.json"))["results"], rb = read(scratch.file("b.json"))["results"];
    EXPECT_EQ(ra["skipped"].size(), 2u);
    EXPECT_FALSE(ra.contains("rfid"));
    EXPECT_FALSE(ra.contains("lpips"));
    EXPECT_EQ(ra["psnr"], rb["psnr"]);
    EXPECT_EQ(ra["ssim"], rb["ssim"]);
  }
  // A posterior sample is not the mean.
  EXPECT_NE(read(scratch.file("a.json"))["protocol"]["reconstruction"], "posterior-mean");
}

// --save-grid holds exactly the scored uint8 pairs: PIL decodes the PNG, and the PSNR of its top row (originals)
// against its bottom row (reconstructions), computed in numpy, is the command's PSNR.
TEST_F(ReconCli, SaveGridHoldsTheScoredPairs) {
  const std::string grid = scratch.file("grid.png");
  const auto r = latentlab(base() + " --save-grid " + grid + " --grid-images 4 --out " + scratch.file("g.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "grid: " + grid);
  const double psnr = read(scratch.file("g.json"))["results"]["psnr"].get<double>();
  // 4 columns and 2 rows of 32² cells with 2-pixel gutters: 138 × 70.
  const std::string code =
      "import sys, numpy as n; from PIL import Image; "
      "g = n.asarray(Image.open(sys.argv[1]).convert(\"RGB\")).astype(n.float64); "
      "assert g.shape == (70, 138, 3), g.shape; "
      "c = lambda r, i: g[2 + 34 * r:34 + 34 * r, 2 + 34 * i:34 + 34 * i]; "
      "print(\"%.17g\" % n.mean([10 * n.log10(255.0 ** 2 / n.mean((c(0, i) - c(1, i)) ** 2)) for i in range(4)]))";
  const auto py = testing::run_command(std::string(LATENTLAB_REFERENCE_PYTHON) + " -c '" + code + "' " + grid);
  ASSERT_EQ(py.exit_code, 0) << py.err;
  EXPECT_NEAR(std::stod(py.out), psnr, 1e-9 * psnr);
  const auto bad = latentlab(base() + " --save-grid " + grid + " --grid-images 0");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_CONTAINS(bad.err, "--grid-images");
}

TEST_F(ReconCli, BadInputsFailWithOneLineAndNoOutput) {
  const std::string out = " --out " + scratch.file("bad.json");
  struct Case {
    std::string args;
    int exit_code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"recon --data " + std::string(kData), 2, "--vae: is required"},
      {base() + " --lpips-weights " + scratch.file("missing.pth"), 1, "missing.pth"},
      {base() + " --lpips-weights " + vae(), 1, "no VGG16 trunk"},
      {base() + " --lpips-weights a --lpips-weights b --lpips-weights c", 2, "takes one or two files"},
      {base() + " --preprocess center-crop --res 30", 1, "not multiples of the VAE's downsampling"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args);
    const auto r = latentlab(c.args + out);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
    EXPECT_CONTAINS(r.err, c.message);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(testing::file_exists(scratch.file("bad.json")));
  }
}

}  // namespace
}  // namespace latentlab
