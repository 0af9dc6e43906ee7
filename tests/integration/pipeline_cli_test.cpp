// latentlab pipeline end to end on a tiny job (one plain VAE, one seed, a few steps per stage, 48 images of 32²):
// the stages run in dependency order, the report path is printed, a second run skips every stage by its manifest,
// and a changed VAE config reruns that VAE and everything downstream of it but not the dataset or the teacher.
#include <gtest/gtest.h>

#include <regex>

#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace latentlab {
namespace {

testing::CommandResult latentlab(const std::string& args) {
  return testing::run_command(std::string(LATENTLAB_BINARY) + " " + args);
}

const char* kTeacher =
    "dataset = shapes:seed=0,n=32,res=32\neval-dataset = shapes:seed=1,n=32,res=32\nfactors = shape,hue\n"
    "channels = 8\nlevels = 2\nwidth = 16\nsteps = 2\nbatch-size = 8\nwarmup = 1\nprobe-factors = x\n"
    "probe-grid = 2\n";
const char* kVae =
    "dataset = shapes:seed=0,n=16,res=32\nbatch-size = 4\ndata-threads = 1\npreset = tiny-f4d4\nmode = plain\n"
    "lpips-weight = 0\ngan-start = 100\ndisc-layers = 2\ndisc-channels = 16\nsteps = 2\ncheckpoint-every = 2\n"
    "log-every = 1\n";
const char* kLdm =
    "preset = SiT-tiny/2\nbatch-size = 8\nsteps = 2\ncheckpoint-every = 2\nlog-every = 1\ngrid-images = 0\n"
    "repa = off\nema = 0\n";

std::string pipeline_ini(const testing::ScratchDir& dir) {
  return "dataset-n = 48\nrecon-n = 8\nteacher-config = " + dir.file("teacher.ini") +
         "\nvae = plain=" + dir.file("vae.ini") + "\nseeds = 0\nldm-config = " + dir.file("ldm.ini") +
         "\nprobe-args = --c 1 --features pooled\ndisentangle-args = --scores mig --num-train 32 --num-test 16\n"
         "analyze-args = --measures stats\nsample-args = --num 8 --batch 8 --sampler ode --steps 2 --cfg-scale 1\n"
         "skip = fd\n";
}

// Stage name -> what the run did with it ("done in", "up to date", "not available", "not run"), in line order.
std::vector<std::pair<std::string, std::string>> stage_lines(const std::string& err) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::regex line(R"(\[\d+/\d+\] (\S+): (done in|up to date|not available|not run))");
  for (std::sregex_iterator it(err.begin(), err.end(), line), end; it != end; ++it)
    out.emplace_back((*it)[1], (*it)[2]);
  return out;
}

std::string status_of(const std::vector<std::pair<std::string, std::string>>& lines, const std::string& name) {
  for (const auto& [stage, status] : lines)
    if (stage == name) return status;
  return "";
}

TEST(PipelineCli, RunsInOrderSkipsWhenUnchangedAndRerunsAfterAConfigChange) {
  testing::ScratchDir dir;
  testing::write_bytes(dir.file("teacher.ini"), kTeacher);
  testing::write_bytes(dir.file("vae.ini"), kVae);
  testing::write_bytes(dir.file("ldm.ini"), kLdm);
  testing::write_bytes(dir.file("pipeline.ini"), pipeline_ini(dir));
  // One thread per stage: ctest runs another test beside this one on the 2-core CI machine.
  const std::string run =
      "pipeline --config " + dir.file("pipeline.ini") + " --out " + dir.file("out") + " --threads 1";

  const auto first = latentlab(run);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto lines = stage_lines(first.err);
  std::vector<std::string> order;
  for (const auto& [stage, status] : lines) order.push_back(stage);
  const std::vector<std::string> expected = {"dataset",
                                             "teacher",
                                             "train-vae-plain-s0",
                                             "cache-plain-s0",
                                             "recon-plain-s0",
                                             "probe-plain-s0",
                                             "disentangle-plain-s0",
                                             "analyze-plain-s0",
                                             "train-ldm-plain-s0",
                                             "sample-plain-s0",
                                             "fd-plain-s0",
                                             "report"};
  EXPECT_EQ(order, expected) << first.err;
  // The generation stages run where train-ldm is built, and are skipped, saying so, where it is not; the FD
  // stage is left out by `skip = fd` (fd-teacher has its own test) and says so.
  const bool generation = status_of(lines, "train-ldm-plain-s0") == "done in";
  EXPECT_EQ(status_of(lines, "fd-plain-s0"), generation ? "not run" : "not available");
  for (const auto& [stage, status] : lines) {
    if (stage == "fd-plain-s0") continue;
    const bool generative =
        stage.rfind("train-ldm", 0) == 0 || stage.rfind("sample", 0) == 0 || stage.rfind("fd", 0) == 0;
    EXPECT_EQ(status, generative && !generation ? "not available" : "done in") << stage;
  }
  const std::string report = dir.file("out/report/report.html");
  EXPECT_NE(first.out.find("report: " + report), std::string::npos) << first.out;
  EXPECT_TRUE(testing::file_exists(report));
  EXPECT_TRUE(testing::file_exists(dir.file("out/report/summary.md")));
  const auto summary = nlohmann::json::parse(testing::read_text(dir.file("out/summary.json")));
  const auto& plain = summary["results"]["plain"];
  EXPECT_EQ(plain["runs"], 1);
  // The summary's numbers are the probe file's: the mean of the five fine factors' test accuracies.
  const auto probe = nlohmann::json::parse(testing::read_text(dir.file("out/stages/probe-plain-s0/probe.json")));
  double fine = 0;
  for (const char* f : {"rotation", "scale", "x", "y", "texture"})
    fine += probe["results"]["factors"][f]["linear"]["test"]["accuracy"].get<double>() / 5;
  EXPECT_NEAR(plain["fine_factor_accuracy"].get<double>(), fine, 1e-12);
  EXPECT_EQ(plain["fine_factor_accuracy_std"].get<double>(), 0.0);

  const auto second = latentlab(run);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  for (const auto& [stage, status] : stage_lines(second.err))
    EXPECT_NE(status, "done in") << stage << " ran again although nothing changed";
  EXPECT_NE(second.out.find("report: " + report), std::string::npos);

  // The generation stages are left out of the rerun (their rerun adds time, not checks).
  testing::write_bytes(dir.file("vae.ini"), std::string(kVae) + "kl-weight = 1e-5\n");
  const auto third = latentlab(run + " --skip train-ldm");
  ASSERT_EQ(third.exit_code, 0) << third.err;
  const auto rerun = stage_lines(third.err);
  EXPECT_EQ(status_of(rerun, "dataset"), "up to date");
  EXPECT_EQ(status_of(rerun, "teacher"), "up to date");
  for (const char* stage : {"train-vae-plain-s0", "cache-plain-s0", "probe-plain-s0", "report"})
    EXPECT_EQ(status_of(rerun, stage), "done in") << stage << "\n" << third.err;
}

TEST(PipelineCli, BadOptionsAreOneLine) {
  testing::ScratchDir dir;
  const auto no_vae = latentlab("pipeline --out " + dir.file("o"));
  EXPECT_EQ(no_vae.exit_code, 2);
  EXPECT_NE(no_vae.err.find("--vae: give at least one NAME=CONFIG"), std::string::npos) << no_vae.err;
  const auto missing = latentlab("pipeline --out " + dir.file("o") + " --vae plain=" + dir.file("nope.ini"));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing.err;
  testing::write_bytes(dir.file("v.ini"), kVae);
  const auto seeds =
      latentlab("pipeline --out " + dir.file("o") + " --vae plain=" + dir.file("v.ini") + " --seeds 0,x");
  EXPECT_EQ(seeds.exit_code, 2);
  EXPECT_NE(seeds.err.find("--seeds: 'x' is not an integer"), std::string::npos) << seeds.err;
}

}  // namespace
}  // namespace latentlab
