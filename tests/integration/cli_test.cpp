// End to end: the real binary, its exit codes, its one-line errors, and no partial outputs.
#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/runtime.h"
#include "support/test_support.h"

namespace latentlab {
namespace {

using testing::run_command;

testing::CommandResult latentlab(const std::string& args) {
  return run_command(std::string(LATENTLAB_BINARY) + " " + args);
}

size_t lines(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(Cli, NoArgumentsPrintsUsageAndFails) {
  const auto r = latentlab("");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("Usage: latentlab <command>"), std::string::npos);
}

TEST(Cli, HelpListsEveryCommand) {
  const auto r = latentlab("--help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* c : {"version", "weights", "datasets", "smoke"}) EXPECT_NE(r.out.find(c), std::string::npos) << c;
  EXPECT_EQ(latentlab("help version").exit_code, 0);
}

TEST(Cli, UnknownCommandIsOneLineWithTheKnownOnes) {
  const auto r = latentlab("frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("'frobnicate': unknown command (known: version, weights"), std::string::npos) << r.err;
}

TEST(Cli, VersionReportsTorchThreadsAndBlas) {
  const auto r = latentlab("version --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto info = nlohmann::json::parse(r.out);
  EXPECT_EQ(info["threads"], available_cores());  // all cores by default
  EXPECT_FALSE(info["libtorch"].get<std::string>().empty());
  EXPECT_FALSE(info["blas"].get<std::string>().empty());
  EXPECT_EQ(info["tool_version"], "0.1.0");
  EXPECT_EQ(nlohmann::json::parse(latentlab("version --json --threads 1").out)["threads"], 1);
  EXPECT_NE(latentlab("version").out.find("CUDA devices:"), std::string::npos);
}

TEST(Cli, EveryLevelHasHelp) {
  for (const char* args :
       {"version --help", "smoke --help", "weights --help", "weights inspect --help", "weights convert --help"}) {
    const auto r = latentlab(args);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.err;
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << args;
  }
}

TEST(Cli, UsageErrorsExitTwoInOneLine) {
  testing::ScratchDir dir;
  testing::write_bytes(dir.file("bad.ini"), "steps = 3\nstepz = 4\n");
  for (const std::string& args :
       std::vector<std::string>{"smoke --steps 0", "smoke --stepz 3", "smoke --device tpu",
                                "smoke --config " + dir.file("bad.ini"), "weights frob", "version extra"}) {
    const auto r = latentlab(args + " --out " + dir.file("o"));
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_EQ(lines(r.err), 1u) << args << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("latentlab ", 0), 0u) << r.err;
  }
  EXPECT_NE(latentlab("smoke --config " + dir.file("bad.ini")).err.find(dir.file("bad.ini")), std::string::npos);
}

TEST(Cli, MissingWeightsFileIsOneDataErrorNamingIt) {
  testing::ScratchDir dir;
  const auto r = latentlab("weights inspect " + dir.file("missing.safetensors"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find(dir.file("missing.safetensors")), std::string::npos) << r.err;
}

TEST(Cli, SmokeTrainsSavesReloadsAndConvertRoundTrips) {
  testing::ScratchDir dir;
  const auto r = latentlab("smoke --quiet --steps 60 --batch-size 16 --threads 1 --out " + dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(testing::read_text(dir.file("smoke.json")));
  EXPECT_EQ(doc["results"]["reload_identical"], true);
  EXPECT_EQ(doc["results"]["passed"], true);
  EXPECT_LT(doc["results"]["loss_last"].get<double>(), doc["results"]["loss_first"].get<double>());
  EXPECT_EQ(doc["options"]["steps"], 60);
  EXPECT_EQ(doc["inputs"][0]["sha256"].get<std::string>().size(), 64u);

  const std::string weights = dir.file("smoke-autoencoder.safetensors");
  const auto inspect = latentlab("weights inspect --json " + weights);
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  const auto listing = nlohmann::json::parse(inspect.out);
  EXPECT_EQ(listing["format"], "safetensors");
  EXPECT_EQ(listing["tensors"][0]["name"], "0.weight");
  EXPECT_EQ(listing["tensors"][0]["shape"], (std::vector<int>{32, 3, 3, 3}));

  testing::write_bytes(dir.file("map.txt"), "0. first.\n");
  const auto convert = latentlab("weights convert --rename-map " + dir.file("map.txt") + " --dtype bf16 " + weights +
                                 " " + dir.file("converted.safetensors"));
  ASSERT_EQ(convert.exit_code, 0) << convert.err;
  const auto converted =
      nlohmann::json::parse(latentlab("weights inspect --json " + dir.file("converted.safetensors")).out);
  EXPECT_EQ(converted["tensors"][0]["name"], "first.weight");
  EXPECT_EQ(converted["tensors"][0]["dtype"], "BF16");
  EXPECT_EQ(converted["total_parameters"], listing["total_parameters"]);
}

TEST(Cli, FailedConvertLeavesNoOutput) {
  testing::ScratchDir dir;
  testing::write_bytes(dir.file("broken.safetensors"), std::string("\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":", 13));
  const auto r = latentlab("weights convert " + dir.file("broken.safetensors") + " " + dir.file("out.safetensors"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_EQ(dir.list(), std::vector<std::string>{"broken.safetensors"});
}

}  // namespace
}  // namespace latentlab
