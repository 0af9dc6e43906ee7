// `latentlab probe` end to end on tiny inputs: an .npz feature file (labels linear in the features, an XOR
// attribute and a linear attribute) with the MLP separability probe, a latent store written by h5py
// (tests/reference/store/store_reference.py) probed on its factors, and one-line errors for bad input.
#include <gtest/gtest.h>

#include <algorithm>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include "io/npz.h"
#include "io/tensor_convert.h"
#include "support/expect_user_error.h"
#include "support/test_support.h"

namespace latentlab {
namespace {

using testing::ScratchDir;

testing::CommandResult latentlab(const std::string& args) {
  return testing::run_command("OMP_NUM_THREADS=1 " + std::string(LATENTLAB_BINARY) + " probe " + args +
                              " --quiet --threads 1");
}

#if LATENTLAB_WITH_ZIP
// 600 rows of 4 uniform features; label = x0 + x1 > 0; attributes: xor = x0·x1 > 0, linear = x2 > 0.
void write_features(const std::string& path) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(11);
  const auto x = at::empty({600, 4}, at::kFloat).uniform_(-1, 1, g);
  const auto labels = (x.select(1, 0) + x.select(1, 1) > 0).to(at::kLong);
  const auto attributes = at::stack({(x.select(1, 0) * x.select(1, 1) > 0), x.select(1, 2) > 0}, 1).to(at::kInt);
  io::write_npz(
      path, {{"features", io::to_array(x)}, {"labels", io::to_array(labels)}, {"attributes", io::to_array(attributes)}},
      false);
}

TEST(ProbeCli, FeatureFileWithSeparability) {
  ScratchDir dir;
  write_features(dir.file("f.npz"));
  const auto r = latentlab(dir.file("f.npz") + " --out " + dir.file("r.json") + " --c 1 --mlp --mlp-hidden 64");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "split 420 train / 60 validation / 120 test, seeded random");
  EXPECT_CONTAINS(r.out, "linear/MLP");
  const auto doc = nlohmann::json::parse(testing::read_text(dir.file("r.json")));
  EXPECT_EQ(doc["command"], "probe");
  EXPECT_EQ(doc["inputs"][0]["sha256"].get<std::string>().size(), 64u);
  const auto& p = doc["protocol"];
  EXPECT_EQ(p["features"]["mode"], "mean");
  EXPECT_EQ(p["split"]["source"], "seeded random");
  EXPECT_EQ(p["linear"]["c_selection"], "fixed");
  EXPECT_EQ(p["mlp"]["hidden"], 64);
  const auto& res = doc["results"];
  EXPECT_GT(res["labels"]["linear"]["test"]["accuracy"].get<double>(), 0.95);
  EXPECT_GT(res["labels"]["mlp"]["test"]["accuracy"].get<double>(), 0.9);
  const auto& sep = res["attributes"]["separability"];
  ASSERT_EQ(sep.size(), 2u);
  EXPECT_LT(sep[0]["linear_mlp_ratio"].get<double>(), 0.8);  // xor: present but not linearly separable
  EXPECT_GT(sep[1]["linear_mlp_ratio"].get<double>(), 0.95);
}

TEST(ProbeCli, BadInputIsOneLine) {
  ScratchDir dir;
  write_features(dir.file("f.npz"));
  auto r = latentlab(dir.file("f.npz") + " --features sample");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_CONTAINS(r.err, "f.npz: --features sample needs a latent store");
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  r = latentlab(dir.file("f.npz") + " --targets shoe_size");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_CONTAINS(r.err, "--targets: 'shoe_size' is not labels");
  r = latentlab(dir.file("missing.npz"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_CONTAINS(r.err, "missing.npz: cannot be opened");
}
#endif

#if LATENTLAB_WITH_HDF5
TEST(ProbeCli, LatentStoreFactors) {
  ScratchDir dir;
  const auto w = testing::run_reference_python("store/store_reference.py", "write " + dir.file("s.h5") + " --rows 60");
  ASSERT_EQ(w.exit_code, 0) << w.err;
  const auto r = latentlab(dir.file("s.h5") + " --features pooled --targets factors --c 1 --out " + dir.file("r.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(testing::read_text(dir.file("r.json")));
  EXPECT_EQ(doc["protocol"]["features"]["input"]["kind"], "latent store");
  EXPECT_EQ(doc["protocol"]["features"]["input"]["features"], 4);  // pooled: one value per latent channel
  for (const char* factor : {"size", "colour"}) {
    const auto& f = doc["results"]["factors"][factor]["linear"];
    EXPECT_EQ(f["protocol"]["num_classes"], 5) << factor;
    EXPECT_EQ(f["protocol"]["num_test"], 12) << factor;
  }
  EXPECT_CONTAINS(r.out, "factor colour");
}
#endif

}  // namespace
}  // namespace latentlab
