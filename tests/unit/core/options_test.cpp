// Config precedence (later files win, command line wins), unknown keys, choices, help and print-config.
#include "core/options.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "support/test_support.h"

namespace latentlab {
namespace {

struct ToyOptions {
  int steps = 10;
  double lr = 1e-4;
  std::string mode = "fast";
  bool flip = false;
  std::vector<std::string> inputs;
  void register_options(OptionGroup& g) {
    g.add("steps", &steps, "Training steps");
    g.add("lr", &lr, "Learning rate");
    g.add_choice("mode", &mode, {"fast", "exact"}, "How to compute");
    g.add("flip", &flip, "Also use flipped images");
    g.add_list("input", &inputs, "Input spec; repeatable");
  }
};

struct Parsed {
  ToyOptions options;
  std::string positional;
  bool proceed = false;
};

Parsed parse(std::vector<std::string> args) {
  Parsed p;
  OptionGroup group("Toy options");
  p.options.register_options(group);
  CommandParser parser({"toy", "Does toy things.", "latentlab toy [options] OUT", "latentlab toy out.json", ""});
  parser.add(group);
  parser.positional("OUT", &p.positional, "Output file");
  args.insert(args.begin(), "toy");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  p.proceed = parser.parse(static_cast<int>(argv.size()), argv.data());
  return p;
}

TEST(Options, DefaultsApplyWithoutFlags) {
  auto p = parse({"out.json"});
  EXPECT_TRUE(p.proceed);
  EXPECT_EQ(p.options.steps, 10);
  EXPECT_EQ(p.options.mode, "fast");
  EXPECT_FALSE(p.options.flip);
  EXPECT_EQ(p.positional, "out.json");
}

TEST(Options, LaterConfigWinsAndCommandLineWinsOverAll) {
  testing::ScratchDir dir;
  testing::write_bytes(dir.file("a.ini"), "# first\nsteps = 5\nlr = 0.5\nflip = true\n");
  testing::write_bytes(dir.file("b.ini"), "steps = 7\n");
  auto p = parse({"--config", dir.file("a.ini"), "--config", dir.file("b.ini"), "out.json"});
  EXPECT_EQ(p.options.steps, 7);  // b.ini is later than a.ini
  EXPECT_EQ(p.options.lr, 0.5);   // only in a.ini
  EXPECT_TRUE(p.options.flip);
  auto q = parse({"--steps", "9", "--config", dir.file("a.ini"), "--config", dir.file("b.ini"), "out.json"});
  EXPECT_EQ(q.options.steps, 9);  // command line beats every file, wherever it stands
}

TEST(Options, RepeatedListOptionAppends) {
  auto p = parse({"--input", "a", "--input", "b", "out.json"});
  EXPECT_EQ(p.options.inputs, (std::vector<std::string>{"a", "b"}));
}

TEST(Options, UnknownConfigKeyIsAUsageErrorNamingTheFile) {
  testing::ScratchDir dir;
  testing::write_bytes(dir.file("bad.ini"), "steps = 3\nstpes = 4\n");
  try {
    parse({"--config", dir.file("bad.ini"), "out.json"});
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_EQ(e.subject(), dir.file("bad.ini"));
    EXPECT_NE(e.problem().find("stpes"), std::string::npos) << e.problem();
    EXPECT_EQ(e.exit_code(), 2);
  }
}

TEST(Options, UnknownFlagBadValueAndBadChoiceAreUsageErrors) {
  EXPECT_THROW(parse({"--stpes", "3", "out.json"}), UserError);
  EXPECT_THROW(parse({"--steps", "three", "out.json"}), UserError);
  try {
    parse({"--mode", "slow", "out.json"});
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_EQ(e.subject(), "--mode");
    EXPECT_NE(e.problem().find("fast|exact"), std::string::npos) << e.problem();
  }
}

TEST(Options, MissingAndExtraPositionalsAreUsageErrors) {
  EXPECT_THROW(parse({}), UserError);
  EXPECT_THROW(parse({"a", "b"}), UserError);
}

TEST(Options, MissingConfigFileIsNamed) {
  try {
    parse({"--config", "/nonexistent/x.ini", "out.json"});
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_EQ(e.subject(), "/nonexistent/x.ini");
  }
}

TEST(Options, HelpStopsAndIsGeneratedFromDefinitions) {
  ::testing::internal::CaptureStdout();
  auto p = parse({"--help"});
  const std::string help = ::testing::internal::GetCapturedStdout();
  EXPECT_FALSE(p.proceed);
  for (const char* part :
       {"Does toy things.", "Usage: latentlab toy", "e.g.:", "--steps", "(=10)", "fast|exact", "--config"})
    EXPECT_NE(help.find(part), std::string::npos) << part << "\n" << help;
}

TEST(Options, PrintConfigRoundTripsThroughConfig) {
  testing::ScratchDir dir;
  ::testing::internal::CaptureStdout();
  auto p = parse({"--steps", "42", "--mode", "exact", "--input", "x", "--print-config"});
  const std::string ini = ::testing::internal::GetCapturedStdout();
  EXPECT_FALSE(p.proceed);
  testing::write_bytes(dir.file("resolved.ini"), ini);
  auto q = parse({"--config", dir.file("resolved.ini"), "out.json"});
  EXPECT_EQ(q.options.steps, 42);
  EXPECT_EQ(q.options.mode, "exact");
  EXPECT_EQ(q.options.inputs, std::vector<std::string>{"x"});
  EXPECT_EQ(q.options.lr, 1e-4);
}

TEST(Options, ResolvedHoldsEveryOptionAndPositional) {
  OptionGroup group("Toy options");
  ToyOptions options;
  options.register_options(group);
  std::string out;
  CommandParser parser({"toy", "", "", "", ""});
  parser.add(group);
  parser.positional("OUT", &out, "");
  const char* argv[] = {"toy", "--lr", "0.125", "o.json"};
  ASSERT_TRUE(parser.parse(4, argv));
  const auto resolved = parser.resolved();
  EXPECT_EQ(resolved["lr"], 0.125);
  EXPECT_EQ(resolved["steps"], 10);
  EXPECT_EQ(resolved["mode"], "fast");
  EXPECT_EQ(resolved["OUT"], "o.json");
}

}  // namespace
}  // namespace latentlab
