// fd-teacher end to end (`make demo`'s offline Fréchet distance): a procedural teacher from a 2-step
// `latentlab train-teacher` run (32² shapes, a narrow network; the numbers need no trained teacher), two folders
// of 6 PNGs, `stats make --features teacher:procedural:W` and `metrics --metrics fd-teacher`. Checks: a folder
// against its own statistics file is 0, a statistics file stands in for its folder, result and protocol keys
// (spec, weights SHA-256, never called FID), and the one-line usage errors for mixing teacher features with the
// Inception metrics.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace latentlab {
namespace {

testing::CommandResult latentlab(const std::string& args) {
  return testing::run_command("OMP_NUM_THREADS=1 " + std::string(LATENTLAB_BINARY) + " " + args +
                              " --quiet --threads 1");
}

class FdTeacherCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<testing::ScratchDir>();
    const auto t = latentlab("train-teacher --out " + dir_->file("t") +
                             " --dataset shapes:res=32,n=64,seed=0 --eval-dataset shapes:res=32,n=64,seed=1 --steps 2"
                             " --batch-size 16 --warmup 1 --channels 4 --width 8 --groups 2 --levels 3 --blocks 0"
                             " --probe-grid 1 --probe-factors rotation --seed 1");
    ASSERT_EQ(t.exit_code, 0) << t.err;
    for (const auto& [name, seed] : {std::pair{"a", 1}, {"b", 2}}) {
      const auto r = latentlab("datasets make shapes --n 6 --res 32 --seed " + std::to_string(seed) + " --out " +
                               dir_->file(name));
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static std::string weights() { return dir_->file("t/teacher.safetensors"); }
  static std::string features() { return " --features teacher:procedural:" + weights(); }
  static std::string folder(const std::string& name) { return dir_->file(name); }
  static std::unique_ptr<testing::ScratchDir> dir_;
  testing::ScratchDir scratch;
};
std::unique_ptr<testing::ScratchDir> FdTeacherCli::dir_;

#if LATENTLAB_WITH_ZIP  // writes or reads .npz files (libzip)
double fd_of(const std::string& json_path) {
  return nlohmann::json::parse(testing::read_text(json_path))["results"]["fd_teacher"].get<double>();
}

TEST_F(FdTeacherCli, StatisticsAndFoldersGiveTheSameDistance) {
  const std::string stats = scratch.file("a.npz");
  const auto made = latentlab("stats make " + folder("a") + features() + " --out " + stats);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_NE(made.out.find("teacher-procedural features 8 moments"), std::string::npos) << made.out;

  const auto self = latentlab("metrics --metrics fd-teacher --real " + stats + " --fake " + folder("a") + features() +
                              " --out " + scratch.file("self.json"));
  ASSERT_EQ(self.exit_code, 0) << self.err;
  EXPECT_LT(std::abs(fd_of(scratch.file("self.json"))), 1e-9);

  const auto folders = latentlab("metrics --metrics fd-teacher --real " + folder("a") + " --fake " + folder("b") +
                                 features() + " --out " + scratch.file("ab.json"));
  ASSERT_EQ(folders.exit_code, 0) << folders.err;
  EXPECT_NE(folders.out.find("FD-teacher: "), std::string::npos) << folders.out;
  EXPECT_EQ(folders.out.find("FID"), std::string::npos) << folders.out;
  const auto from_file = latentlab("metrics --metrics fd-teacher --real " + stats + " --fake " + folder("b") +
                                   features() + " --out " + scratch.file("sb.json"));
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  const double fd = fd_of(scratch.file("ab.json"));
  EXPECT_GT(fd, 0);
  EXPECT_NEAR(fd_of(scratch.file("sb.json")), fd, 1e-9 * fd);  // the file holds the folder's exact moments

  const auto doc = nlohmann::json::parse(testing::read_text(scratch.file("ab.json")));
  EXPECT_FALSE(doc["results"].contains("fid"));
  const auto& ex = doc["protocol"]["extractor"];
  EXPECT_EQ(ex["extractor"], "teacher-procedural");
  EXPECT_EQ(ex["teacher_spec"], "procedural:" + weights());
  EXPECT_EQ(ex["weights_sha256"].get<std::string>().size(), 64u);
  EXPECT_TRUE(ex["weights_official"].is_null());
  EXPECT_EQ(ex["outputs"]["patch_mean"], 8);
}
#endif

TEST_F(FdTeacherCli, TeacherFeaturesAndInceptionMetricsDoNotMix) {
  struct Case {
    std::string args;
    std::string says;
  };
  const std::string sets = " --real " + folder("a") + " --fake " + folder("b");
  const std::vector<Case> cases = {
      {"metrics --metrics fd-teacher" + sets, "--features: fd-teacher needs --features teacher:<spec>"},
      {"metrics --metrics fid" + sets + features(), "--features: teacher features serve the metric fd-teacher only"},
      {"fid " + folder("a") + " " + folder("b") + features(), "teacher features serve the metric fd-teacher only"},
      {"metrics --metrics fd-teacher,kid" + sets + features(), "run of its own"},
      {"metrics --metrics fd-teacher" + sets + " --features teacher:", "needs a teacher spec"},
      {"metrics --metrics fd-teacher" + sets + features() + " --extractor-weights x.pth", "--extractor-weights"},
  };
  for (const auto& c : cases) {
    const auto r = latentlab(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace latentlab
