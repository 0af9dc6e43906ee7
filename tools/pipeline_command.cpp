// latentlab pipeline: the main job as a resumable pipeline of latentlab commands (docs/reproducing.md). Each stage
// runs as a child process of this program, logs to OUT/logs/NAME.log and is skipped when its outputs exist and its
// manifest (arguments + SHA-256 of its inputs) matches; an interrupted stage reruns in place, and the training
// commands resume from their checkpoints. The end: OUT/summary.md (mean ± std over seeds) and OUT/report/.
#include <chrono>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join

#include "core/error.h"
#include "core/log.h"
#include "core/options.h"
#include "core/progress.h"
#include "core/runtime.h"
#include "io/atomic_file.h"
#include "io/results_json.h"
#include "pipeline_plan.h"
#include "pipeline_summary.h"

namespace latentlab::tools {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs one stage unless it is up to date; a failing stage is an error naming its log.
void run_stage(const Stage& stage, int index, int count, const std::string& program, const std::string& out,
               const std::vector<std::string>& runtime_args) {
  const std::string tag = fmt::format("[{}/{}] {}", index, count, stage.name);
  const std::string state_dir = out + "/state", log_path = out + "/logs/" + stage.name + ".log";
  const auto manifest = stage_manifest(stage);
  const auto state = stage_state(stage, manifest, state_dir);
  if (state == StageState::UpToDate) {
    log::info("{}: up to date, skipped", tag);
    return;
  }
  if (state == StageState::Changed) {
    fs::remove_all(stage.dir);
    fs::remove(log_path);
  }
  fs::create_directories(stage.dir);
  mark_started(stage, manifest, state_dir);
  auto args = stage.args;
  args.insert(args.end(), runtime_args.begin(), runtime_args.end());
  log::info("{}: {}latentlab {} (log: {})", tag, state == StageState::Interrupted ? "resuming " : "",
            fmt::join(args, " "), log_path);
  const auto start = Clock::now();
  const auto child = run_child(program, args, log_path);
  if (child.exit_code != 0) {
    std::cerr << tail_lines(log_path, 15);
    fail(stage.name, "`latentlab {}` failed (exit code {}); log: {}", stage.args.front(), child.exit_code, log_path);
  }
  for (const auto& path : stage.outputs)
    if (!fs::exists(path)) fail(stage.name, "finished without writing {}; log: {}", path, log_path);
  mark_finished(stage, manifest, state_dir);
  log::info("{}: done in {} ({:.0f} CPU-s)", tag, ProgressBar::format_duration(seconds_since(start)),
            child.cpu_seconds);
}

std::vector<RunResults> run_results(const PipelineOptions& options, const std::vector<VaeRun>& runs) {
  std::vector<RunResults> results;
  for (const auto& run : runs) {
    auto at = [&](const std::string& kind, const std::string& file) {
      return stage_dir(options, kind + "-" + run.id()) + "/" + file;
    };
    results.push_back({run.name, run.seed, at("probe", "probe.json"), at("recon", "recon.json"),
                       at("disentangle", "disentangle.json"), at("fd", "fd.json")});
  }
  return results;
}

// The report stage: every results file and training log that exists, labelled NAME-sSEED.
Stage report_stage(const PipelineOptions& options, const std::vector<VaeRun>& runs, const std::string& summary,
                   const std::string& title) {
  Stage stage{"report", {"report"}, {}, {}, options.out + "/report", ""};
  auto add = [&](const std::string& label, const std::string& path) {
    if (!fs::is_regular_file(path)) return;
    stage.args.push_back(label.empty() ? path : label + "=" + path);
    stage.inputs.push_back(path);
  };
  add("teacher", stage_dir(options, "teacher") + "/train-teacher.json");
  // Every run's results and logs, in the order of the stages that wrote them.
  const std::vector<std::pair<std::string, std::string>> files = {
      {"train-vae", "log.jsonl"}, {"train-vae", "train-vae.json"},     {"recon", "recon.json"},
      {"probe", "probe.json"},    {"disentangle", "disentangle.json"}, {"analyze", "analyze.json"},
      {"train-ldm", "log.jsonl"}, {"train-ldm", "train-ldm.json"},     {"sample", "samples.npz.json"},
      {"fd", "fd.json"}};
  for (const auto& run : runs)
    for (const auto& [kind, file] : files) add(run.id(), stage_dir(options, kind + "-" + run.id()) + "/" + file);
  add("summary", summary);
  stage.args.insert(stage.args.end(), {"--out", stage.dir, "--title", title});
  stage.outputs = {stage.dir + "/report.md", stage.dir + "/report.html"};
  return stage;
}

}  // namespace

int pipeline_main(int argc, const char* const* argv) {
  PipelineOptions options;
  RuntimeOptions runtime_options;
  bool list_only = false;
  OptionGroup group("Pipeline"), runtime_group("Runtime");
  options.register_options(group);
  group.add("list", &list_only, "Print the stages in order with their commands, and exit");
  runtime_options.register_options(runtime_group);
  CommandParser parser({"pipeline",
                        "Runs the main job as resumable stages: dataset, teacher, VAEs x seeds, latent stores, "
                        "recon, probes, disentanglement, analyses, SiT, samples, FD, summary and report. A stage "
                        "whose outputs exist under the same arguments and input hashes is skipped.",
                        "latentlab pipeline --config configs/pipeline/demo.ini [options]",
                        "latentlab pipeline --config configs/pipeline/demo.ini --out demo-out",
                        "latentlab report, docs/reproducing.md"});
  parser.add(group);
  parser.add(runtime_group);
  if (!parser.parse(argc, argv)) return 0;
  if (options.out.empty()) fail_usage("--out", "is required");
  if (options.dataset_n < 2) fail_usage("--dataset-n", "must be >= 2, got {}", options.dataset_n);
  if (options.recon_n < 1 || options.recon_n > options.dataset_n)
    fail_usage("--recon-n", "must be in 1..--dataset-n ({}), got {}", options.dataset_n, options.recon_n);
  const auto runs = vae_runs(options);
  const auto stages = plan_stages(options, runs);
  const int count = static_cast<int>(stages.size()) + 2;  // + summary + report
  if (list_only) {
    for (size_t i = 0; i < stages.size(); ++i)
      std::cout << fmt::format("{:>3} {:<28} latentlab {}{}\n", i + 1, stages[i].name, fmt::join(stages[i].args, " "),
                               stages[i].unavailable.empty() ? "" : "   [" + stages[i].unavailable + "]");
    std::cout << fmt::format("{:>3} {:<28} (mean ± std over seeds)\n{:>3} {:<28} latentlab report ...\n", count - 1,
                             "summary", count, "report");
    return 0;
  }
  const Runtime runtime = apply_runtime(runtime_options);
  std::vector<std::string> runtime_args;
  if (runtime_options.threads > 0) runtime_args = {"--threads", std::to_string(runtime_options.threads)};
  if (runtime_options.device != "auto") runtime_args.insert(runtime_args.end(), {"--device", runtime_options.device});
  // This very program, even when a rebuild has replaced the file since it started (the link then ends in
  // " (deleted)", but exec through it still works): every stage of a run uses one build.
  const std::string program = "/proc/self/exe";
  fs::create_directories(options.out);

  const auto start = Clock::now();
  std::vector<std::string> notes;
  for (size_t i = 0; i < stages.size(); ++i) {
    const auto& stage = stages[i];
    if (!stage.unavailable.empty()) {
      log::info("[{}/{}] {}: {}", i + 1, count, stage.name, stage.unavailable);
      notes.push_back(fmt::format("{}: {}", stage.name, stage.unavailable));
      continue;
    }
    run_stage(stage, static_cast<int>(i) + 1, count, program, options.out, runtime_args);
  }

  const auto summary_start = Clock::now();
  const auto results = run_results(options, runs);
  const Summary summary = summarize(results, notes);
  std::vector<io::InputRecord> inputs;
  for (const auto& r : results)
    for (const auto& path : {r.probe, r.recon, r.disentangle, r.fd})
      if (fs::is_regular_file(path)) inputs.push_back(io::describe_input("results", path));
  const nlohmann::json protocol = {{"eval_data", eval_spec(options)},
                                   {"seeds", options.seeds},
                                   {"std", "sample standard deviation over seeds (ddof 1)"},
                                   {"fine_factors", {"rotation", "scale", "x", "y", "texture"}}};
  const std::string summary_json = options.out + "/summary.json", summary_md = options.out + "/summary.md";
  const auto doc = io::make_results({"pipeline summary", runtime.device, runtime.threads, parser.resolved()}, protocol,
                                    inputs, summary.results);
  // Rewritten only when its numbers or inputs change, so that the report stage stays up to date.
  if (!fs::is_regular_file(summary_json) || io::read_results(summary_json)[io::kKeyResults] != doc[io::kKeyResults] ||
      io::read_results(summary_json)[io::kKeyInputs] != doc[io::kKeyInputs])
    io::write_results(summary_json, doc);
  io::write_file_atomic(summary_md, summary.markdown);
  log::info("[{}/{}] summary: {} ({})", count - 1, count, summary_md,
            ProgressBar::format_duration(seconds_since(summary_start)));

  std::string title = options.title;
  if (!notes.empty())
    title += fmt::format(" ({} stage{} not run: see summary.md)", notes.size(), notes.size() == 1 ? "" : "s");
  const Stage report = report_stage(options, runs, summary_json, title);
  run_stage(report, count, count, program, options.out, runtime_args);
  io::write_file_atomic(report.dir + "/summary.md", summary.markdown);

  std::cout << fmt::format("pipeline: {} stages ({} not run) in {}; report: {}\n", count, notes.size(),
                           ProgressBar::format_duration(seconds_since(start)), report.dir + "/report.html");
  return 0;
}

}  // namespace latentlab::tools
