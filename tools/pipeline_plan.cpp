#include "pipeline_plan.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/ranges.h>  // fmt::join

#include "command_table.h"
#include "core/error.h"
#include "core/options.h"
#include "metrics/analysis/text_items.h"

namespace latentlab::tools {
namespace fs = std::filesystem;

void PipelineOptions::register_options(OptionGroup& g) {
  g.add("out", &out, "Output folder: stages/ (one folder per stage), logs/, state/, summary.*, report/");
  g.add("title", &title, "Title of the report");
  g.add("dataset-n", &dataset_n, "Evaluation images (procedural shapes with all 8 factors)");
  g.add("dataset-res", &dataset_res, "Side of the evaluation images; must match the VAEs' training resolution");
  g.add("dataset-seed", &dataset_seed, "Seed of the evaluation images (the training sets use other seeds)");
  g.add("recon-n", &recon_n, "Images of the reconstruction metrics");
  g.add("teacher-config", &teacher_config, "train-teacher INI of the procedural teacher");
  g.add_list("vae", &vaes, "NAME=CONFIG: a train-vae INI and its label (repeat; plain, va-vae, send-vae)");
  g.add("seeds", &seeds, "Seeds every VAE config is trained with (comma list); the summary gives mean ± std");
  g.add("ldm-config", &ldm_config, "train-ldm INI of the SiT trained on every VAE's latents");
  g.add("skip", &skip,
        "Stage kinds not to run (comma list of recon, probe, disentangle, analyze, train-ldm, sample, fd)");
  g.add("teacher-args", &teacher_args, "Extra train-teacher arguments (space-separated)");
  g.add("vae-args", &vae_args, "Extra train-vae arguments");
  g.add("cache-args", &cache_args, "Extra cache arguments");
  g.add("recon-args", &recon_args, "Extra recon arguments");
  g.add("probe-args", &probe_args, "Extra probe arguments");
  g.add("disentangle-args", &disentangle_args, "Extra disentangle arguments");
  g.add("analyze-args", &analyze_args, "Extra analyze latents arguments");
  g.add("ldm-args", &ldm_args, "Extra train-ldm arguments");
  g.add("sample-args", &sample_args, "Extra sample arguments");
  g.add("fd-args", &fd_args, "Extra metrics arguments of the FD of the samples");
}

std::string VaeRun::id() const {
  return name + "-s" + std::to_string(seed);
}

namespace {

void append(std::vector<std::string>& args, const std::string& extra) {
  for (const auto& word : metrics::split_items(extra, ' ')) args.push_back(word);
}

// The value of `key` in a `key = value` INI file ("" when absent); enough to tell which VAEs need the teacher.
std::string ini_value(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  if (!in) fail(path, "cannot read the config file");
  std::string value;
  for (std::string line; std::getline(in, line);) {
    const auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    auto trim = [](std::string s) {
      s.erase(0, s.find_first_not_of(" \t"));
      s.erase(s.find_last_not_of(" \t\r") + 1);
      return s;
    };
    if (trim(line.substr(0, eq)) == key) value = trim(line.substr(eq + 1));
  }
  return value;
}

bool command_available(const std::string& name) {
  for (const auto& command : commands())
    if (name == command.name) return true;
  return false;
}

// Marks the stages of the kinds in `skip` (and of the kinds that need their outputs) as not run.
void mark_skipped(std::vector<Stage>& stages, const std::string& skip) {
  const std::vector<std::string> kinds = {"recon", "probe", "disentangle", "analyze", "train-ldm", "sample", "fd"};
  std::vector<std::string> skipped;
  for (const auto& kind : metrics::split_items(skip)) {
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
      fail_usage("--skip", "'{}' is not a stage kind that can be skipped (known: {})", kind, fmt::join(kinds, ", "));
    skipped.push_back(kind);
    if (kind == "train-ldm") skipped.push_back("sample");
    if (kind == "train-ldm" || kind == "sample") skipped.push_back("fd");
  }
  for (auto& stage : stages)
    for (const auto& kind : skipped)
      if (stage.name.rfind(kind + "-", 0) == 0 && stage.unavailable.empty()) stage.unavailable = "not run (--skip)";
}

}  // namespace

std::vector<VaeRun> vae_runs(const PipelineOptions& options) {
  if (options.vaes.empty()) fail_usage("--vae", "give at least one NAME=CONFIG");
  std::vector<int64_t> seeds;
  for (const auto& word : metrics::split_items(options.seeds)) {
    try {
      size_t used = 0;
      seeds.push_back(std::stoll(word, &used));
      if (used != word.size()) throw std::invalid_argument(word);
    } catch (const std::exception&) {
      fail_usage("--seeds", "'{}' is not an integer (expected a comma list such as 0,1,2)", word);
    }
  }
  if (seeds.empty()) fail_usage("--seeds", "give at least one seed");
  std::vector<VaeRun> runs;
  for (const auto& vae : options.vaes) {
    const auto eq = vae.find('=');
    if (eq == 0 || eq == std::string::npos || eq + 1 == vae.size()) fail_usage("--vae", "'{}' is not NAME=CONFIG", vae);
    const std::string name = vae.substr(0, eq), config = vae.substr(eq + 1);
    if (name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos)
      fail_usage("--vae", "name '{}' may hold only a-z, 0-9 and '-'", name);
    if (!fs::is_regular_file(config)) fail_usage("--vae", "config '{}' of '{}' does not exist", config, name);
    for (const auto& run : runs)
      if (run.name == name) fail_usage("--vae", "name '{}' is given twice", name);
    for (const auto seed : seeds) runs.push_back({name, config, seed});
  }
  return runs;
}

std::string eval_spec(const PipelineOptions& options) {
  return fmt::format("shapes:seed={},n={},res={}", options.dataset_seed, options.dataset_n, options.dataset_res);
}

std::string stage_dir(const PipelineOptions& options, const std::string& stage_name) {
  return (fs::path(options.out) / "stages" / stage_name).string();
}

std::vector<Stage> plan_stages(const PipelineOptions& options, const std::vector<VaeRun>& runs) {
  std::vector<Stage> stages;
  auto add = [&](const std::string& name, std::vector<std::string> args, const std::string& extra,
                 std::vector<std::string> inputs, std::vector<std::string> outputs) -> Stage& {
    append(args, extra);
    stages.push_back({name, std::move(args), std::move(inputs), std::move(outputs), stage_dir(options, name), ""});
    return stages.back();
  };
  auto in = [&](const std::string& stage, const std::string& file) { return stage_dir(options, stage) + "/" + file; };

  const std::string images = in("dataset", "eval");
  add("dataset",
      {"datasets", "make", "shapes", "--n", std::to_string(options.dataset_n), "--res",
       std::to_string(options.dataset_res), "--seed", std::to_string(options.dataset_seed), "--out", images},
      "", {}, {images + "/dataset.json"});
  const std::string teacher = in("teacher", "teacher.safetensors");
  add("teacher", {"train-teacher", "--config", options.teacher_config, "--out", stage_dir(options, "teacher")},
      options.teacher_args, {options.teacher_config}, {teacher, in("teacher", "train-teacher.json")});

  auto vae = [&](const VaeRun& run) { return in("train-vae-" + run.id(), "vae.safetensors"); };
  auto store = [&](const VaeRun& run) { return in("cache-" + run.id(), "latents.h5"); };
  for (const auto& run : runs) {
    const std::string name = "train-vae-" + run.id();
    std::vector<std::string> args = {
        "train-vae", "--config", run.config, "--out", stage_dir(options, name), "--seed", std::to_string(run.seed)};
    std::vector<std::string> inputs = {run.config};
    const std::string mode = ini_value(run.config, "mode");
    if ((!mode.empty() && mode != "plain") || !ini_value(run.config, "teacher").empty()) {
      args.insert(args.end(), {"--teacher", "procedural:" + teacher});
      inputs.push_back(teacher);
    }
    add(name, args, options.vae_args, inputs, {vae(run), in(name, "train-vae.json")});
  }
  for (const auto& run : runs) {
    const std::string name = "cache-" + run.id();
    add(name,
        {"cache", "--vae", vae(run), "--data", eval_spec(options), "--out", store(run), "--results",
         in(name, "cache.json")},
        options.cache_args, {vae(run)}, {store(run), in(name, "cache.json")});
  }
  for (const auto& run : runs) {
    const std::string recon_data =
        fmt::format("shapes:seed={},n={},res={}", options.dataset_seed, options.recon_n, options.dataset_res);
    add("recon-" + run.id(),
        {"recon", "--vae", vae(run), "--data", recon_data, "--out", in("recon-" + run.id(), "recon.json")},
        options.recon_args, {vae(run)}, {in("recon-" + run.id(), "recon.json")});
    add("probe-" + run.id(),
        {"probe", store(run), "--targets", "factors", "--out", in("probe-" + run.id(), "probe.json")},
        options.probe_args, {store(run)}, {in("probe-" + run.id(), "probe.json")});
    add("disentangle-" + run.id(),
        {"disentangle", store(run), "--out", in("disentangle-" + run.id(), "disentangle.json")},
        options.disentangle_args, {store(run)}, {in("disentangle-" + run.id(), "disentangle.json")});
    add("analyze-" + run.id(), {"analyze", "latents", store(run), "--out", in("analyze-" + run.id(), "analyze.json")},
        options.analyze_args, {store(run)}, {in("analyze-" + run.id(), "analyze.json")});
  }

  // Generation: train-ldm is being written; until it is registered the stages stay in the list, marked.
  const std::string no_ldm =
      command_available("train-ldm") ? "" : "not available in this build (`latentlab train-ldm` is not registered)";
  auto sit = [&](const VaeRun& run) { return in("train-ldm-" + run.id(), "sit.safetensors"); };
  auto samples = [&](const VaeRun& run) { return in("sample-" + run.id(), "samples.npz"); };
  for (const auto& run : runs) {
    const std::string name = "train-ldm-" + run.id();
    add(name,
        {"train-ldm", "--config", options.ldm_config, "--store", store(run), "--out", stage_dir(options, name),
         "--seed", std::to_string(run.seed), "--vae", vae(run), "--teacher", "procedural:" + teacher, "--dataset",
         eval_spec(options)},
        options.ldm_args, {options.ldm_config, store(run), vae(run), teacher}, {sit(run), in(name, "train-ldm.json")})
        .unavailable = no_ldm;
  }
  for (const auto& run : runs) {
    add("sample-" + run.id(),
        {"sample", "--sit", sit(run), "--vae", vae(run), "--out", samples(run), "--seed", std::to_string(run.seed)},
        options.sample_args, {sit(run), vae(run)}, {samples(run)})
        .unavailable = no_ldm;
  }
  // FD of the samples vs the evaluation images on the trained teacher's features (fd-teacher: no download).
  for (const auto& run : runs) {
    const std::string name = "fd-" + run.id();
    add(name,
        {"metrics", "--metrics", "fd-teacher", "--real", "images:" + images + "/images", "--fake", samples(run),
         "--features", "teacher:procedural:" + teacher, "--out", in(name, "fd.json")},
        options.fd_args, {samples(run), teacher}, {in(name, "fd.json")})
        .unavailable = no_ldm;
  }
  mark_skipped(stages, options.skip);
  return stages;
}

}  // namespace latentlab::tools
