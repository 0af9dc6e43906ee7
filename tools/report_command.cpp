// latentlab report: results files and training logs -> Markdown + self-contained HTML with leaderboards
// per protocol, per-attribute probe tables, plots and the paper-style tables (lib/report; docs/reports.md).
#include <iostream>

#include <fmt/format.h>

#include "core/error.h"
#include "core/options.h"
#include "core/runtime.h"
#include "report/entry.h"
#include "report/report.h"

namespace latentlab::tools {

int report_main(int argc, const char* const* argv) {
  std::vector<std::string> results;
  std::string out, title = "latentlab report";
  RuntimeOptions runtime;
  OptionGroup options("Options"), runtime_group("Runtime");
  options.add("out", &out, "The report folder to write (report.md, report.html, plots/, images/)");
  options.add("title", &title, "The report's title");
  runtime.register_options(runtime_group);
  CommandParser parser(
      {"report",
       "Builds a report from results files: a leaderboard per kind and protocol (results whose "
       "protocols differ beyond naming the measured model are never ranked together), per-attribute probe tables and "
       "bars, probe score vs gFID with Pearson/Spearman, training curves from JSONL logs, image "
       "grids the results point to, and the paper's Tables 1, 7 and 8 filled from them.",
       "latentlab report [NAME=]RESULT... --out DIR",
       "latentlab report plain=recon-plain.json send-vae=recon-send.json train.jsonl --out report",
       "latentlab leaderboard, latentlab probe, latentlab recon, latentlab fid"});
  parser.add(options);
  parser.add(runtime_group);
  parser.positional_list("RESULTS", &results,
                         "Results JSON files or .jsonl training logs; NAME=FILE names the model a file measured", 1);
  if (!parser.parse(argc, argv)) return 0;
  if (out.empty()) fail_usage("--out", "is required");
  apply_runtime(runtime);
  const auto entries = report::load_entries(results);
  const auto written = report::write_report(report::build_report(entries, title), out);
  std::cout << fmt::format("{} results -> {} tables, {} plots, {} grids\n  {}\n  {}\n", entries.size(), written.tables,
                           written.figures, written.images, written.markdown, written.html);
  return 0;
}

}  // namespace latentlab::tools
