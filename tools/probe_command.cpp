// latentlab probe: linear and attribute-separability probes on frozen features (a latent store or a feature
// file); the library call is metrics::run_probes (metrics/probes/probe_report.h), the protocol docs/probes.md.
#include <cmath>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "core/error.h"
#include "core/options.h"
#include "core/runtime.h"
#include "io/results_json.h"
#include "metrics/probes/probe_report.h"

namespace latentlab::tools {
namespace {

// The non-empty comma-separated items of every occurrence of a list option.
std::vector<std::string> comma_items(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& value : values) {
    size_t start = 0;
    while (start <= value.size()) {
      const size_t comma = std::min(value.find(',', start), value.size());
      if (comma > start) out.push_back(value.substr(start, comma - start));
      start = comma + 1;
    }
  }
  return out;
}

double parse_number(const std::string& text, const std::string& option) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !std::isfinite(v)) fail_usage(option, "'{}' is not a number", text);
  return v;
}

// "LO:HI:N" = np.logspace(LO, HI, N); otherwise a comma-separated list of C values. Empty: the default grid.
std::vector<double> parse_grid(const std::string& text) {
  std::vector<double> grid;
  if (text.empty()) return grid;
  const auto colon = text.find(':');
  if (colon != std::string::npos) {
    const auto second = text.find(':', colon + 1);
    if (second == std::string::npos) fail_usage("--grid", "'{}': write LO:HI:N (exponents of 10) or C1,C2,...", text);
    const double lo = parse_number(text.substr(0, colon), "--grid"),
                 hi = parse_number(text.substr(colon + 1, second - colon - 1), "--grid"),
                 count = parse_number(text.substr(second + 1), "--grid");
    if (count < 1 || count != std::floor(count)) fail_usage("--grid", "N must be a positive integer, got {}", count);
    for (int i = 0; i < static_cast<int>(count); ++i)
      grid.push_back(std::pow(10.0, count == 1 ? lo : lo + (hi - lo) * i / (count - 1)));
    return grid;
  }
  for (const auto& item : comma_items({text})) grid.push_back(parse_number(item, "--grid"));
  return grid;
}

}  // namespace

int probe_main(int argc, const char* const* argv) {
  std::string input, out, features = "mean", grid, validation_path, test_path, split = "0.1,0.2";
  std::vector<std::string> targets, top_k;
  metrics::ProbeRunOptions run;
  int folds = run.linear.folds;
  double fixed_c = 0;
  int mlp_epochs = run.mlp_options.max_epochs, mlp_patience = run.mlp_options.patience;
  int64_t mlp_hidden = run.mlp_options.hidden, mlp_batch = run.mlp_options.batch_size;
  double mlp_lr = run.mlp_options.learning_rate;
  RuntimeOptions runtime;
  OptionGroup options("Options"), protocol("Probe protocol"), mlp_group("Separability (MLP) probe"),
      runtime_group("Runtime");
  options.add("out", &out, "Write the results JSON here");
  options.add_choice("features", &features, {"mean", "pooled", "sample"},
                     "Latent store features: mean (posterior mean flattened, the paper's protocol), pooled (mean "
                     "over space per channel) or sample (z = mean + std * eps, seeded by --seed)");
  options.add_list("targets", &targets,
                   "What to probe (comma-separated, repeatable): auto, labels, attributes, factors or attribute "
                   "names (default auto)");
  options.add("validation", &validation_path, "A separate input holding the validation split (same kind)");
  options.add("test", &test_path, "A separate input holding the test split (e.g. the official test split's store)");
  options.add("split", &split,
              "Validation and test fractions of the seeded split used when the input records no split");
  protocol.add("folds", &folds, "Cross-validation folds for choosing C");
  protocol.add("grid", &grid, "C grid: LO:HI:N (np.logspace) or C1,C2,...; default -4:4:10");
  protocol.add("c", &fixed_c, "Use this C and skip cross-validation (0: search)");
  protocol.add_list("top-k", &top_k, "k of the top-k accuracy and recall (comma-separated; default 1,5)");
  mlp_group.add("mlp", &run.mlp, "Also probe every target with a one-hidden-layer MLP and report linear/MLP ratios");
  mlp_group.add("mlp-hidden", &mlp_hidden, "MLP hidden ReLU units");
  mlp_group.add("mlp-lr", &mlp_lr, "Adam learning rate");
  mlp_group.add("mlp-batch-size", &mlp_batch, "Minibatch size");
  mlp_group.add("mlp-epochs", &mlp_epochs, "Largest number of epochs");
  mlp_group.add("mlp-patience", &mlp_patience, "Stop after this many epochs without a lower validation loss");
  runtime.register_options(runtime_group);
  CommandParser parser({"probe",
                        "Fits linear probes (multinomial logistic regression on labels, logistic heads on binary "
                        "attributes, one multinomial probe per multi-valued factor) with C chosen by k-fold "
                        "cross-validation, and optionally the same targets with a small MLP (separability).",
                        "latentlab probe [options] STORE_OR_FEATURES --out results.json",
                        "latentlab probe celeba-train.h5 --test celeba-test.h5 --targets attributes --mlp --out p.json",
                        "latentlab cache, latentlab store info"});
  parser.positional("input", &input,
                    "A latent store (latentlab cache) or an .npz/HDF5 file with features + labels "
                    "and/or attributes (optional split: 0 train, 1 validation, 2 test)");
  parser.add(options);
  parser.add(protocol);
  parser.add(mlp_group);
  parser.add(runtime_group);
  if (!parser.parse(argc, argv)) return 0;

  const auto fractions = comma_items({split});
  if (fractions.size() != 2) fail_usage("--split", "'{}': give VALIDATION,TEST fractions, e.g. 0.1,0.2", split);
  const metrics::SplitFractions split_fractions{parse_number(fractions[0], "--split"),
                                                parse_number(fractions[1], "--split")};
  run.targets = comma_items(targets);
  if (run.targets.empty()) run.targets = {"auto"};
  run.linear.folds = folds;
  run.linear.fixed_c = fixed_c;
  run.linear.c_grid = parse_grid(grid);
  if (!top_k.empty()) {
    run.linear.top_k.clear();
    for (const auto& k : comma_items(top_k)) run.linear.top_k.push_back(static_cast<int>(parse_number(k, "--top-k")));
  }
  run.mlp_options = {mlp_hidden, mlp_lr, mlp_batch, mlp_epochs, mlp_patience, 0};
  if (!validation_path.empty() && test_path.empty()) fail_usage("--validation", "needs --test as well");
  const Runtime rt = apply_runtime(runtime);
  run.device = rt.device;
  run.linear.seed = static_cast<uint64_t>(rt.seed);
  run.mlp_options.seed = static_cast<uint64_t>(rt.seed);

  const auto mode = metrics::parse_feature_mode(features, "--features");
  const auto seed = static_cast<uint64_t>(rt.seed);
  auto data = metrics::read_probe_data(input, mode, seed);
  std::vector<io::InputRecord> inputs{io::describe_input("features", input)};
  std::string split_source = "official (file)";
  if (!test_path.empty()) {
    if (data.split.defined()) fail_usage("--test", "{} already records a split; drop --test or its split", input);
    std::optional<metrics::ProbeData> validation;
    if (!validation_path.empty()) {
      validation = metrics::read_probe_data(validation_path, mode, seed + 1);
      inputs.push_back(io::describe_input("validation", validation_path));
    }
    const auto test = metrics::read_probe_data(test_path, mode, seed + 2);
    inputs.push_back(io::describe_input("test", test_path));
    data = metrics::join_splits(data, validation ? &*validation : nullptr, test, validation_path, test_path);
    split_source = "separate inputs";
  }
  const auto splits = metrics::make_splits(data, split_fractions, seed, input, split_source);
  const auto report = metrics::run_probes(data, splits, run);

  auto protocol_json = report.protocol;
  protocol_json["features"] = {{"mode", features}, {"input", data.describe()}};
  if (!out.empty())
    io::write_results(out, io::make_results({"probe", rt.device, rt.threads, parser.resolved()}, protocol_json, inputs,
                                            report.results));
  std::cout << fmt::format("{} ({}; {} features, split {} train / {} validation / {} test, {})\n", input, data.kind,
                           data.features.size(1), splits.train.size(), splits.validation.size(), splits.test.size(),
                           splits.source)
            << report.table;
  return 0;
}

}  // namespace latentlab::tools
