// `latentlab metrics --metrics fd_dinov2` end to end: seeded random weights in the published
// dinov2_vits14_pretrain.pth layout (written here as safetensors, shapes listed by hand from the hub model)
// and two tiny PNG folders from `latentlab datasets make shapes`. ViT-S/14 at 224² is the smallest published
// model; four images per folder keep the run short (~10 s on a busy 2-core machine). Checks the result and protocol
// keys, the one-line errors for mixing fd_dinov2 with Inception metrics and for weights that are not DINOv2.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "io/safetensors.h"
#include "io/tensor_convert.h"
#include "support/test_support.h"

namespace latentlab {
namespace {

testing::CommandResult latentlab(const std::string& args) {
  return testing::run_command("OMP_NUM_THREADS=1 " + std::string(LATENTLAB_BINARY) + " " + args +
                              " --quiet --threads 1");
}

// dinov2_vits14: 384-d, 12 blocks, MLP 1536, 37×37 position grid, LayerScale; norms and gammas near 1.
void write_vits14(const std::string& path) {
  at::manual_seed(7);
  io::NamedArrays arrays;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, bool near_one = false) {
    const at::Tensor t = (near_one ? 1.0 : 0.0) + 0.02 * at::randn(shape);
    arrays.emplace_back(name, io::to_array(t, name));
  };
  const int64_t d = 384, hidden = 1536;
  add("cls_token", {1, 1, d});
  add("pos_embed", {1, 37 * 37 + 1, d});
  add("mask_token", {1, d});
  add("patch_embed.proj.weight", {d, 3, 14, 14});
  add("patch_embed.proj.bias", {d});
  for (int i = 0; i < 12; ++i) {
    const std::string b = "blocks." + std::to_string(i) + ".";
    add(b + "norm1.weight", {d}, true);
    add(b + "norm1.bias", {d});
    add(b + "attn.qkv.weight", {3 * d, d});
    add(b + "attn.qkv.bias", {3 * d});
    add(b + "attn.proj.weight", {d, d});
    add(b + "attn.proj.bias", {d});
    add(b + "ls1.gamma", {d}, true);
    add(b + "norm2.weight", {d}, true);
    add(b + "norm2.bias", {d});
    add(b + "mlp.fc1.weight", {hidden, d});
    add(b + "mlp.fc1.bias", {hidden});
    add(b + "mlp.fc2.weight", {d, hidden});
    add(b + "mlp.fc2.bias", {d});
    add(b + "ls2.gamma", {d}, true);
  }
  add("norm.weight", {d}, true);
  add("norm.bias", {d});
  io::write_safetensors(path, arrays);
}

class FdDinoV2Cli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::ScratchDir>();
    write_vits14(weights());
    for (const auto& [name, seed] : {std::pair{"a", 1}, {"b", 2}}) {
      const auto r = testing::run_command(std::string(LATENTLAB_BINARY) + " datasets make shapes --quiet --n 4 " +
                                          "--res 32 --seed " + std::to_string(seed) + " --out " + dir_->file(name));
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string weights() { return dir_->file("dinov2_vits14.safetensors"); }
  static std::string folder(const std::string& name) { return dir_->file(name); }
  static std::unique_ptr<testing::ScratchDir> dir_;
  testing::ScratchDir scratch;
};
std::unique_ptr<testing::ScratchDir> FdDinoV2Cli::dir_;

TEST_F(FdDinoV2Cli, MetricsCommandWritesFdDinoV2WithProtocol) {
  const std::string out = scratch.file("fd.json");
  const auto r = latentlab("metrics --metrics fd_dinov2 --real " + folder("a") + " --fake " + folder("b") +
                           " --extractor-weights " + weights() + " --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("FD-DINOv2: "), std::string::npos) << r.out;
  const auto doc = nlohmann::json::parse(testing::read_text(out));
  const double fd = doc["results"]["fd_dinov2"].get<double>();
  EXPECT_TRUE(std::isfinite(fd) && fd > 0) << fd;  // two different random-shape sets
  const auto& ex = doc["protocol"]["extractor"];
  EXPECT_EQ(ex["extractor"], "dinov2-vit-s14");
  EXPECT_EQ(ex["resize"], "bicubic-antialias");
  EXPECT_EQ(ex["input_size"], 224);
  EXPECT_EQ(ex["outputs"]["cls"], 384);
  EXPECT_EQ(ex["weights_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(doc["protocol"]["sets"]["real"]["count"], 4);
}

// FD-DINOv2 reference statistics: `stats make --features dinov2` keeps the CLS moments, labelled by the model the
// weights hold, and `metrics --metrics fd_dinov2` takes the file in place of the folder (same images: 0).
#if LATENTLAB_WITH_ZIP  // writes or reads .npz files (libzip)
TEST_F(FdDinoV2Cli, StatsMakeWritesDinoV2StatisticsForFdDinoV2) {
  const std::string stats = scratch.file("a_dinov2.npz");
  const auto made = latentlab("stats make " + folder("a") + " --features dinov2 --extractor-weights " + weights() +
                              " --out " + stats);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_NE(made.out.find("dinov2-vit-s14 features 384 moments"), std::string::npos) << made.out;
  const auto r = latentlab("metrics --metrics fd_dinov2 --real " + stats + " --fake " + folder("a") +
                           " --extractor-weights " + weights() + " --out " + scratch.file("fd.json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(testing::read_text(scratch.file("fd.json")));
  EXPECT_LT(std::abs(doc["results"]["fd_dinov2"].get<double>()), 1e-6);  // the same CLS features on both sides
  EXPECT_EQ(doc["protocol"]["sets"]["real"]["layout"], "latentlab");
  EXPECT_EQ(doc["protocol"]["sets"]["real"]["count"], 4);
}
#endif

TEST_F(FdDinoV2Cli, BadCombinationsGiveOneLine) {
  const std::string not_dino = scratch.file("not_dino.safetensors");
  io::write_safetensors(not_dino, {{"fc.weight", io::to_array(at::zeros({2, 2}), "fc.weight")}});
  struct Case {
    std::string args;
    int code;
    std::string says;
  };
  const std::string sets = " --real " + folder("a") + " --fake " + folder("b");
  const std::vector<Case> cases = {
      {"metrics --metrics fid,fd_dinov2" + sets + " --extractor-weights " + weights(), 2, "run of its own"},
      {"metrics --metrics fd_dinov2" + sets, 2, "--extractor-weights"},
      {"metrics --metrics fd_dinov2" + sets + " --extractor-weights " + not_dino, 1, "not a DINOv2 state dict"},
      {"metrics --metrics fd_dinov2" + sets + " --extractor-weights " + weights() + " --extractor-resize nearest", 2,
       "unknown DINOv2 resize"},
  };
  for (const auto& c : cases) {
    const auto r = latentlab(c.args);
    EXPECT_EQ(r.exit_code, c.code) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace latentlab
