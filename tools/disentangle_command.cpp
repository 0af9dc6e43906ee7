// latentlab disentangle: disentanglement scores of the latents in a store of a dataset with ground-truth
// factors (metrics/disentanglement/disentangle.h; docs/probes.md).
#include <iostream>

#include <fmt/format.h>

#include "command_table.h"
#include "core/error.h"
#include "core/options.h"
#include "core/runtime.h"
#include "io/results_json.h"
#ifdef LATENTLAB_WITH_HDF5
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "metrics/disentanglement/disentangle.h"
#include "metrics/disentanglement/latent_reduction.h"
#include "store/reader.h"
#endif

namespace latentlab::tools {
#ifdef LATENTLAB_WITH_HDF5
namespace {

struct StoreCodes {
  at::Tensor latents;  // (N, C, h, w) float32: the posterior mean, or a sample of the posterior
  at::Tensor factors;  // (N, K) int64
};

StoreCodes read_store(const store::StoreReader& reader, bool sample, uint64_t seed) {
  const int64_t rows = reader.rows();
  std::vector<at::Tensor> latents, factors;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  for (int64_t begin = 0; begin < rows; begin += 1024) {
    std::vector<int64_t> index(std::min<int64_t>(1024, rows - begin));
    for (size_t i = 0; i < index.size(); ++i) index[i] = begin + static_cast<int64_t>(i);
    const auto batch = reader.read(index);
    latents.push_back(sample ? batch.mean + batch.std * at::randn(batch.mean.sizes(), generator) : batch.mean);
    factors.push_back(batch.attributes.to(at::kLong));
  }
  return {at::cat(latents), at::cat(factors)};
}

}  // namespace
#endif

int disentangle_main(int argc, const char* const* argv) {
#ifdef LATENTLAB_WITH_HDF5
  std::string path, out, reduce = "pool", scores = "all", representation = "mean", factor_vae_index = "fixed";
  metrics::DisentangleOptions o;
  RuntimeOptions runtime;
  OptionGroup options("Options"), runtime_group("Runtime");
  options.add("out", &out, "Results JSON to write");
  options.add("reduce", &reduce,
              "Spatial latents to codes: pool (channel means) or pca:N (flattened, top N components)");
  options.add("scores", &scores,
              "all, or a comma list of: mig, sap, dci, dci-gbt, modularity, explicitness, beta-vae, "
              "factor-vae");
  options.add_choice("representation", &representation, {"mean", "sample"}, "Posterior mean, or one seeded sample");
  options.add("num-train", &o.num_train, "Training rows (observational scores) and training points (β-VAE, FactorVAE)");
  options.add("num-test", &o.num_test, "Test rows and evaluation points");
  options.add("batch-size", &o.batch_size, "Observations per β-VAE / FactorVAE point");
  options.add("num-variance-estimate", &o.num_variance_estimate, "FactorVAE: observations for the global variances");
  options.add_choice("factor-vae-index", &factor_vae_index, {"fixed", "dlib"},
                     "FactorVAE vote column: the code itself, or dlib's index into the pruned codes");
  runtime.register_options(runtime_group);
  CommandParser parser({"disentangle",
                        "Scores how well the latents of a store separate the ground-truth factors of its dataset: MIG, "
                        "SAP, DCI (Lasso and boosted-tree importances), modularity, explicitness, β-VAE and FactorVAE "
                        "scores with disentanglement_lib's defaults.",
                        "latentlab disentangle STORE --out results.json [options]",
                        "latentlab disentangle shapes.h5 --out disentangle.json --reduce pca:16 --scores mig,dci-gbt",
                        "latentlab cache, latentlab store info"});
  parser.add(options);
  parser.add(runtime_group);
  parser.positional("STORE", &path, "A latent store of a dataset with factors (latentlab cache --data shapes:...)");
  if (!parser.parse(argc, argv)) return 0;
  if (out.empty()) fail_usage("--out", "is required");
  const auto reduction = metrics::parse_latent_reduction(reduce, "--reduce");
  o.scores = metrics::parse_score_list(scores, "--scores");
  for (const auto& [name, value] : {std::pair{"--num-train", o.num_train},
                                    {"--num-test", o.num_test},
                                    {"--num-variance-estimate", o.num_variance_estimate}})
    if (value < 2) fail_usage(name, "must be at least 2, got {}", value);
  if (o.batch_size < 2) fail_usage("--batch-size", "must be at least 2, got {}", o.batch_size);
  o.factor_vae_dlib_index = factor_vae_index == "dlib";
  const Runtime rt = apply_runtime(runtime);
  o.seed = static_cast<uint64_t>(rt.seed);

  const store::StoreReader reader(path);
  const auto& identity = reader.info().header.identity;
  if (identity.attribute_names.empty())
    fail(path, "the store has no factor attributes (cache a dataset with factors, e.g. --data shapes:res=64)");
  const auto data = read_store(reader, representation == "sample", o.seed);
  const auto reduced = metrics::reduce_latents(data.latents, reduction);
  const auto report = metrics::run_disentanglement(reduced.codes, data.factors, identity.attribute_names, o);

  nlohmann::json protocol = report.protocol;
  protocol["representation"] = representation == "sample" ? "posterior sample mean + std * eps" : "posterior mean";
  protocol["reduction"] = reduced.protocol;
  protocol["latent_shape"] = identity.latent_shape;
  protocol["dataset_fingerprint"] = identity.dataset_fingerprint;
  protocol["vae_sha256"] = identity.vae_sha256;
  io::write_results(out, io::make_results({"disentangle", "cpu", rt.threads, parser.resolved()}, protocol,
                                          {io::describe_input("store", path)}, report.results));

  std::cout << fmt::format("{}: {} rows, {} codes ({}), {} factors; {} train / {} test rows\n", path,
                           reduced.codes.size(0), reduced.codes.size(1), reduction.to_string(),
                           identity.attribute_names.size(), protocol["num_train"].get<int64_t>(),
                           protocol["num_test"].get<int64_t>());
  std::cout << fmt::format("{:<14} {:<40} {:>8}\n", "score", "measure", "value");
  for (const auto& line : report.headline)
    std::cout << fmt::format("{:<14} {:<40} {:>8.4f}\n", line.score, line.value_name, line.value);
  if (protocol.contains("factor_lookup"))
    std::cout << fmt::format("factor lookup: {} ({} of {} requests relaxed)\n",
                             protocol["factor_lookup"]["mode"].get<std::string>(),
                             protocol["factor_lookup"]["relaxed_requests"].get<int64_t>(),
                             protocol["factor_lookup"]["requests"].get<int64_t>());
  std::cout << "wrote " << out << "\n";
  return 0;
#else
  fail_usage("disentangle", "this build has no HDF5 latent store (libhdf5-dev was missing when it was configured)");
#endif
}

}  // namespace latentlab::tools
