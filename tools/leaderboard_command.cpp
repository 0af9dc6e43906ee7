// latentlab leaderboard add|show: a board file that several people append results to (one kind, one
// protocol per board; lib/report/leaderboard.h; docs/reports.md).
#include <iostream>

#include <fmt/format.h>

#include "command_table.h"
#include "core/error.h"
#include "core/options.h"
#include "core/runtime.h"
#include "report/leaderboard.h"

namespace latentlab::tools {
namespace {

int add_main(int argc, const char* const* argv) {
  std::string result, board;
  RuntimeOptions runtime;
  OptionGroup options("Options"), runtime_group("Runtime");
  options.add("board", &board, "The leaderboard file (created by the first add)");
  runtime.register_options(runtime_group);
  CommandParser parser({"leaderboard add",
                        "Adds a results file to a leaderboard under a lock; refuses another kind, another protocol "
                        "fingerprint and duplicates (same input hashes and protocol).",
                        "latentlab leaderboard add [NAME=]RESULT --board FILE",
                        "latentlab leaderboard add send-vae=recon.json --board boards/recon.json",
                        "latentlab leaderboard show, latentlab report"});
  parser.add(options);
  parser.add(runtime_group);
  parser.positional("RESULT", &result, "A results JSON file; NAME=FILE names its row");
  if (!parser.parse(argc, argv)) return 0;
  if (board.empty()) fail_usage("--board", "is required");
  apply_runtime(runtime);
  const auto added = report::board_add(board, result);
  std::cout << fmt::format("{}: added '{}' at rank {} of {}{}\n", board, added.label, added.rank, added.count,
                           added.created ? " (new board)" : "");
  return 0;
}

int show_main(int argc, const char* const* argv) {
  std::string board, format = "md";
  RuntimeOptions runtime;
  OptionGroup options("Options"), runtime_group("Runtime");
  options.add("board", &board, "The leaderboard file");
  runtime.register_options(runtime_group);
  options.add_choice("format", &format, {"md", "csv", "json"}, "Markdown table, CSV, or ranked JSON");
  CommandParser parser({"leaderboard show", "Prints a leaderboard ranked by its kind's first metric.",
                        "latentlab leaderboard show --board FILE [--format md|csv|json]",
                        "latentlab leaderboard show --board boards/recon.json --format csv",
                        "latentlab leaderboard add"});
  parser.add(options);
  parser.add(runtime_group);
  if (!parser.parse(argc, argv)) return 0;
  if (board.empty()) fail_usage("--board", "is required");
  apply_runtime(runtime);
  const auto b = report::read_board(board);
  if (format == "json")
    std::cout << report::board_ranking_json(b).dump(2) << "\n";
  else
    std::cout << (format == "csv" ? report::to_csv(report::board_table(b))
                                  : report::to_markdown(report::board_table(b)));
  return 0;
}

}  // namespace

int leaderboard_main(int argc, const char* const* argv) {
  static const std::vector<Command> verbs = {
      {"add", "Add a results file to a leaderboard file", add_main},
      {"show", "Print a leaderboard (md, csv or json)", show_main},
  };
  return run_group("leaderboard", verbs, argc, argv);
}

}  // namespace latentlab::tools
