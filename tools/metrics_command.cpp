// latentlab metrics: several generative metrics (FID, sFID, IS, KID, precision/recall) from one pass over
// each input.
#include <iostream>

#include <fmt/format.h>

#include "core/error.h"
#include "core/options.h"
#include "core/runtime.h"
#include "io/results_json.h"
#include "metrics/evaluate/image_batches.h"

namespace latentlab::tools {

int metrics_main(int argc, const char* const* argv) {
  metrics::EvaluateRequest request;
  std::vector<std::string> names;
  std::string out, is_mode = "torch-fidelity";
  int64_t kid_subsets = request.metrics.kid.subsets, kid_subset_size = request.metrics.kid.subset_size;
  int64_t pr_k = request.metrics.pr.pr_k, dc_k = request.metrics.pr.dc_k;
  RuntimeOptions runtime;
  OptionGroup options("Options"), metric_group("Metric protocol"), extractor_group("Feature extractor"),
      runtime_group("Runtime");
  options.add_list("metrics", &names, "Comma-separated metrics (repeatable). " + metrics::generative_metrics_help());
  options.add("real", &request.real, std::string("Reference set: ") + metrics::metric_input_forms());
  options.add("fake", &request.fake, "Generated set (same forms; IS uses only this one)");
  options.add("out", &out, "Write the results JSON here (optional)");
  metrics::register_image_input_options(options, request.images);
  metric_group.add_choice("is-mode", &is_mode, {"torch-fidelity", "adm"},
                          "IS splits: torch-fidelity (10 splits, shuffled with seed 2020) or adm (splits of 5000, "
                          "no shuffle)");
  metric_group.add("kid-subsets", &kid_subsets, "KID: number of subsets");
  metric_group.add("kid-subset-size", &kid_subset_size, "KID: rows per subset (lowered to the smaller set, warned)");
  metric_group.add("pr-k", &pr_k, "Precision/recall: k of the k-NN radii");
  metric_group.add("dc-k", &dc_k, "Density/coverage: k of the k-NN radii");
  request.extractor.register_options(extractor_group);
  runtime.register_options(runtime_group);
  CommandParser parser({"metrics",
                        "Computes generative metrics between a reference set (--real) and a generated set (--fake); "
                        "each input is streamed once through the FID Inception (fd_dinov2: through the DINOv2 of "
                        "--extractor-weights, in a run of its own). Statistics files serve fid, sfid and fd_dinov2.",
                        "latentlab metrics --metrics fid,is,kid,pr,sfid --real R --fake F [--out results.json]",
                        "latentlab metrics --metrics fid,sfid,is,pr --real VIRTUAL_imagenet256_labeled.npz --fake "
                        "samples.npz --extractor-weights pt_inception-2015-12-05-6726825d.pth --out m.json",
                        "latentlab fid, latentlab stats make"});
  parser.add(options);
  parser.add(metric_group);
  parser.add(extractor_group);
  parser.add(runtime_group);
  if (!parser.parse(argc, argv)) return 0;
  request.metrics.metrics = metrics::parse_metric_names(names, "--metrics");
  if (request.fake.empty()) fail_usage("--fake", "is required");
  if (request.real.empty() && metrics::needs_of(request.metrics.metrics, true) != metrics::kNeedNothing)
    fail_usage("--real", "is required for the metrics asked for (only is needs no reference set)");
  request.metrics.is =
      is_mode == "adm" ? metrics::InceptionScoreOptions::adm() : metrics::InceptionScoreOptions::torch_fidelity();
  request.metrics.kid.subsets = kid_subsets;
  request.metrics.kid.subset_size = kid_subset_size;
  request.metrics.pr.pr_k = pr_k;
  request.metrics.pr.dc_k = dc_k;
  const Runtime rt = apply_runtime(runtime);
  request.extractor.device = rt.device;
  request.images.threads = rt.threads;
  const auto report = metrics::evaluate_inputs(request);
  if (!out.empty())
    io::write_results(out, io::make_results({"metrics", rt.device, rt.threads, parser.resolved()}, report.protocol,
                                            report.inputs, report.results));
  std::cout << metrics::summarize_generative_metrics(report.results);
  return 0;
}

}  // namespace latentlab::tools
