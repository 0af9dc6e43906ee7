// latentlab fid A B: the Fréchet Inception distance between two inputs (images or statistics files).
#include <iostream>

#include <fmt/format.h>

#include "core/error.h"
#include "core/options.h"
#include "core/runtime.h"
#include "io/results_json.h"
#include "metrics/evaluate/image_batches.h"

namespace latentlab::tools {

int fid_main(int argc, const char* const* argv) {
  metrics::EvaluateRequest request;
  std::string a, b, out;
  bool sfid = false;
  RuntimeOptions runtime;
  OptionGroup options("Options"), extractor_group("Feature extractor"), runtime_group("Runtime");
  options.add("out", &out, "Also write a results JSON here (optional)");
  options.add("sfid", &sfid, "Also compute sFID (needs images, latentlab or ADM reference statistics)");
  metrics::register_image_input_options(options, request.images);
  request.extractor.register_options(extractor_group);
  runtime.register_options(runtime_group);
  CommandParser parser({"fid",
                        "Computes FID between two inputs, each a folder of images, any dataset spec, an ADM sample "
                        "batch or a statistics file (pytorch-fid, ADM reference, `latentlab stats make`). Each "
                        "input is read once; FID is symmetric.",
                        "latentlab fid A B [--extractor-weights FILE] [--out results.json]",
                        "latentlab fid samples/ VIRTUAL_imagenet256_labeled.npz --extractor-weights "
                        "pt_inception-2015-12-05-6726825d.pth --out fid.json",
                        "latentlab metrics, latentlab stats make"});
  parser.add(options);
  parser.add(extractor_group);
  parser.add(runtime_group);
  parser.positional("A", &a, std::string("First input: ") + metrics::metric_input_forms());
  parser.positional("B", &b, "Second input (same forms)");
  if (!parser.parse(argc, argv)) return 0;
  const Runtime rt = apply_runtime(runtime);
  request.extractor.device = rt.device;
  request.images.threads = rt.threads;
  request.metrics.metrics = sfid ? std::vector<std::string>{"fid", "sfid"} : std::vector<std::string>{"fid"};
  // torch-fidelity's naming: input1 (A) is the evaluated set, input2 (B) the reference.
  request.fake = a;
  request.real = b;
  request.fake_subject = "A";
  request.real_subject = "B";
  const auto report = metrics::evaluate_inputs(request);
  if (!out.empty())
    io::write_results(out, io::make_results({"fid", rt.device, rt.threads, parser.resolved()}, report.protocol,
                                            report.inputs, report.results));
  std::cout << metrics::summarize_generative_metrics(report.results);
  return 0;
}

}  // namespace latentlab::tools
