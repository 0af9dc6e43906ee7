// latentlab analyze latents|equivariance|correlate: latent-space analyses (docs/analysis.md). The measures
// live in metrics/analysis/; this file parses options, streams inputs and writes results (`correlate` is in
// analyze_correlate_command.cpp).
#include <functional>
#include <iostream>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "command_table.h"
#include "core/error.h"
#include "core/options.h"
#include "core/runtime.h"
#include "io/results_json.h"
#include "metrics/analysis/analysis_input.h"
#include "metrics/analysis/equivariance.h"
#include "metrics/analysis/latent_analysis.h"
#include "metrics/analysis/radial_spectrum.h"
#include "metrics/analysis/text_items.h"
#include "metrics/evaluate/image_batches.h"
#include "models/autoencoder_kl.h"

namespace latentlab::tools {
namespace {

// Streams up to `limit` images (0: all) of a dataset spec into `consume` as uint8 (n, 3, H, W) batches.
void stream_images(const std::string& spec, const metrics::ImageInputOptions& images, int threads, int64_t limit,
                   const std::function<void(const at::Tensor&)>& consume) {
  const auto prep = datasets::make_preprocess(images.preprocess, images.resolution);
  const auto source = datasets::open_dataset(spec);
  datasets::PipelineOptions po;
  po.batch_size = images.batch_size;
  po.threads = threads;
  datasets::Pipeline pipeline(*source, po, prep.transform);
  int64_t seen = 0;
  while (auto batch = pipeline.next()) {
    auto part = batch->images;
    if (limit > 0) part = part.slice(0, 0, std::min<int64_t>(part.size(0), limit - seen));
    consume(part);
    seen += part.size(0);
    if (limit > 0 && seen >= limit) break;
  }
  if (seen == 0) fail(spec, "holds no images");
}

int latents_main(int argc, const char* const* argv) {
  std::string input, teacher_path, images_spec, out, measures = "all", components = "1,2,4,8,16,32,64";
  std::string projection = "tsne", tsne_method = "barnes_hut", tsne_init = "pca";
  bool sample = false, raw_rows = false;
  int64_t images_limit = 1000;
  metrics::LatentAnalysisOptions o;
  metrics::ImageInputOptions images;
  RuntimeOptions runtime;
  OptionGroup options("Options"), measure_group("Measures"), runtime_group("Runtime");
  options.add("out", &out, "Write the results JSON here");
  options.add("teacher", &teacher_path, "Teacher features (.npz/HDF5 `features`, same rows) for the alignment");
  options.add("images", &images_spec, "Dataset spec of the encoded images, for the image spectrum (optional)");
  options.add("images-limit", &images_limit, "Images read for the image spectrum (0: all)");
  options.add("sample", &sample, "Use one seeded posterior sample of a latent store instead of the mean");
  metrics::register_image_input_options(options, images);
  measure_group.add("measures", &measures,
                    fmt::format("all, or a comma list of: {}", fmt::join(metrics::latent_measure_names(), ", ")));
  measure_group.add("active-threshold", &o.active_threshold, "Active unit: Var_x(posterior mean) above this");
  measure_group.add("neighbours", &o.neighbours, "k of CKNNA and mutual k-NN");
  measure_group.add("raw-rows", &raw_rows, "Align raw features (default: L2-normalised rows, as platonic-rep)");
  measure_group.add("pool-latents", &o.pool_latents, "Align channel means instead of the flattened latent");
  measure_group.add("spectrum-bins", &o.spectrum_bins, "Radial frequency bins up to Nyquist");
  measure_group.add("pixels", &o.uniformity.pixels, "Single-pixel vectors per uniformity run and for the GMM");
  measure_group.add("runs", &o.uniformity.runs, "Uniformity runs (mean and std reported)");
  measure_group.add("projection", &projection,
                    "Uniformity's 2-D projection: tsne (VA-VAE's) or pca (fast, not comparable)");
  measure_group.add("perplexity", &o.uniformity.tsne.perplexity, "t-SNE perplexity (k = 3 perplexity + 1 neighbours)");
  measure_group.add("tsne-iterations", &o.uniformity.tsne.iterations,
                    "t-SNE iterations, the 250 exaggerated ones included");
  measure_group.add("tsne-method", &tsne_method,
                    "t-SNE gradient: barnes_hut (quadtree) or exact (all pairs, small sets)");
  measure_group.add("tsne-angle", &o.uniformity.tsne.angle, "Barnes-Hut angle (0: exact repulsion)");
  measure_group.add("tsne-init", &tsne_init, "t-SNE start: pca (sklearn 1.2's default) or random (seeded)");
  measure_group.add("gmm-components", &components, "GMM component counts K (comma list)");
  measure_group.add("gmm-iterations", &o.gmm.max_iterations, "Largest number of EM iterations");
  measure_group.add("gmm-tolerance", &o.gmm.tolerance, "EM stops when the mean log-likelihood changes less");
  runtime.register_options(runtime_group);
  CommandParser parser({"analyze latents",
                        "Latent-space measures of a store's or feature file's latents: channel statistics and "
                        "active units, CKA / CKNNA / mutual k-NN against a teacher, radial spectra (latent vs "
                        "image), KDE-Gini uniformity and diagonal-GMM complexity.",
                        "latentlab analyze latents LATENTS [--teacher FEATURES] [--images SPEC] --out r.json",
                        "latentlab analyze latents in-val.h5 --teacher dinov2-val.npz --images images:val "
                        "--preprocess adm-center-crop --out analyze.json",
                        "latentlab analyze correlate, latentlab probe, latentlab cache"});
  parser.positional("LATENTS", &input, "A latent store, or an .npz/HDF5 file with `features` (N, C, h, w) or (N, D)");
  parser.add(options);
  parser.add(measure_group);
  parser.add(runtime_group);
  if (!parser.parse(argc, argv)) return 0;
  o.measures = metrics::parse_latent_measures(measures, "--measures");
  o.normalize_rows = !raw_rows;
  o.gmm_components.clear();
  for (double k : metrics::split_numbers(components, "--gmm-components")) {
    if (k < 1 || k != static_cast<int64_t>(k))
      fail_usage("--gmm-components", "K must be a positive integer, got {}", k);
    o.gmm_components.push_back(static_cast<int64_t>(k));
  }
  for (const auto& [name, value] : {std::pair{"--neighbours", o.neighbours},
                                    {"--spectrum-bins", o.spectrum_bins},
                                    {"--pixels", o.uniformity.pixels},
                                    {"--runs", o.uniformity.runs}})
    if (value < (std::string(name) == "--pixels" ? 16 : 1)) fail_usage(name, "is too small: {}", value);
  o.uniformity.projection = metrics::parse_projection(projection, "--projection");
  o.uniformity.tsne.method = metrics::parse_tsne_method(tsne_method, "--tsne-method");
  o.uniformity.tsne.init = metrics::parse_tsne_init(tsne_init, "--tsne-init");
  const auto& t = o.uniformity.tsne;
  const bool tsne = o.uniformity.projection == metrics::Projection::tsne;
  if (tsne && (!(t.perplexity > 0) || t.perplexity >= static_cast<double>(o.uniformity.pixels)))
    fail_usage("--perplexity", "must be positive and less than --pixels ({}), got {}", o.uniformity.pixels,
               t.perplexity);
  if (tsne && t.iterations < t.exaggerated_iterations)
    fail_usage("--tsne-iterations", "must be at least {} (the exaggerated ones), got {}", t.exaggerated_iterations,
               t.iterations);
  if (!(t.angle >= 0 && t.angle <= 1)) fail_usage("--tsne-angle", "must be in [0, 1], got {}", t.angle);
  const Runtime rt = apply_runtime(runtime);
  o.uniformity.seed = static_cast<uint64_t>(rt.seed);

  const auto data = metrics::read_analysis_latents(input, sample, o.uniformity.seed);
  std::vector<io::InputRecord> inputs{io::describe_input("latents", input)};
  at::Tensor teacher;
  if (!teacher_path.empty()) {
    teacher = metrics::read_feature_matrix(teacher_path).to(c10::Device(rt.device));
    inputs.push_back(io::describe_input("teacher", teacher_path));
  }
  auto report = metrics::analyze_latents(data.latents.to(c10::Device(rt.device)), teacher, o);
  report.protocol["input"] = data.describe();
  report.protocol["representation"] = sample ? "posterior sample mean + std * eps" : "posterior mean";
  if (!images_spec.empty() && report.results.contains("spectrum")) {
    metrics::RadialSpectrumAccumulator spectrum(o.spectrum_bins);
    stream_images(images_spec, images, rt.threads, images_limit,
                  [&](const at::Tensor& batch) { spectrum.update(batch.to(c10::Device(rt.device))); });
    const auto result = spectrum.finalize();
    report.results["spectrum"]["image"] = result.to_json();
    report.protocol["images"] = {{"dataset", images_spec}, {"limit", images_limit}, {"preprocess", images.preprocess}};
    report.headline.push_back(fmt::format("spectrum: image high-frequency ratio {:.4f}", result.high_frequency_ratio));
  }
  if (!out.empty())
    io::write_results(out, io::make_results({"analyze latents", rt.device, rt.threads, parser.resolved()},
                                            report.protocol, inputs, report.results));
  std::cout << fmt::format("{}: {} rows ({})\n", input, data.latents.size(0), data.kind);
  for (const auto& line : report.headline) std::cout << line << "\n";
  for (const auto& [name, why] : report.results["skipped"].items())
    std::cout << name << ": skipped (" << why.get<std::string>() << ")\n";
  return 0;
}

int equivariance_main(int argc, const char* const* argv) {
  std::string vae_path, vae_preset, data, out, transforms = "default";
  int64_t limit = 0;
  metrics::ImageInputOptions images;
  RuntimeOptions runtime;
  OptionGroup options("Options"), runtime_group("Runtime");
  options.add("vae", &vae_path, "VAE weights (safetensors from latentlab, LDM/REPA-E/VA-VAE .pt/.ckpt, diffusers)");
  options.add("vae-preset", &vae_preset, "Architecture preset, when the file's shapes are ambiguous");
  options.add("data", &data, std::string("Dataset: ") + datasets::dataset_spec_forms());
  options.add("transforms", &transforms, "default, or a comma list of scale:S (0 < S < 1) and rot:90|180|270");
  options.add("limit", &limit, "Images to use (0: all)");
  options.add("out", &out, "Write the results JSON here");
  metrics::register_image_input_options(options, images);
  runtime.register_options(runtime_group);
  CommandParser parser({"analyze equivariance",
                        "EQ-VAE equivariance of a VAE under downscaling and 90° rotations: decoder error "
                        "‖D(τE(x)) − τx‖², the reconstruction error of τx, and the relative latent error.",
                        "latentlab analyze equivariance --vae CKPT --data SPEC [--transforms LIST] --out r.json",
                        "latentlab analyze equivariance --vae vae.safetensors --data images:val --preprocess "
                        "adm-center-crop --res 256 --limit 1000 --out eq.json",
                        "latentlab analyze latents, latentlab recon"});
  parser.add(options);
  parser.add(runtime_group);
  if (!parser.parse(argc, argv)) return 0;
  for (const auto& [name, value] : {std::pair{"--vae", &vae_path}, {"--data", &data}})
    if (value->empty()) fail_usage(name, "is required");
  const auto list = metrics::parse_spatial_transforms(transforms, "--transforms");
  const Runtime rt = apply_runtime(runtime);
  models::AutoencoderKLLoadOptions lo;
  lo.resolution = images.resolution;
  if (!vae_preset.empty()) lo.config = models::AutoencoderKLConfig::preset_config(vae_preset);
  auto vae = models::AutoencoderKL::load(vae_path, lo);
  vae.to(c10::Device(rt.device));
  at::NoGradGuard no_grad;
  metrics::EquivarianceAccumulator accumulator([&](const at::Tensor& x) { return vae.encode(x).mean; },
                                               [&](const at::Tensor& z) { return vae.decode(z); }, list);
  stream_images(data, images, rt.threads, limit, [&](const at::Tensor& batch) {
    accumulator.update(batch.to(c10::Device(rt.device)).to(at::kFloat).div(127.5).sub(1.0));
  });
  const auto results = accumulator.finalize();
  nlohmann::json protocol{{"dataset", data},
                          {"preprocess", images.preprocess},
                          {"resolution", images.resolution},
                          {"latent", "posterior mean"},
                          {"image_range", "[-1, 1] = uint8 / 127.5 - 1"},
                          {"scale", "bilinear, align_corners=False, no antialias"},
                          {"rotation", "counter-clockwise quarter turns (torch.rot90 on H, W)"},
                          {"vae_sha256", vae.weights_sha256()}};
  if (!out.empty())
    io::write_results(out, io::make_results({"analyze equivariance", rt.device, rt.threads, parser.resolved()},
                                            protocol, {io::describe_input("vae", vae_path)}, results));
  std::cout << fmt::format("{} images; {:<12} {:>12} {:>14} {:>12}\n", results["images"].get<int64_t>(), "transform",
                           "decoder_mse", "reference_mse", "latent_err");
  for (const auto& [name, r] : results["transforms"].items())
    std::cout << fmt::format("{:<12} {:>12.6f} {:>14.6f} {:>12.6f}\n", name, r["decoder_mse"].get<double>(),
                             r["reference_mse"].get<double>(), r["latent_error"].get<double>());
  return 0;
}

}  // namespace

int analyze_correlate_main(int argc, const char* const* argv);  // analyze_correlate_command.cpp

int analyze_main(int argc, const char* const* argv) {
  static const std::vector<Command> verbs = {
      {"latents", "Channel statistics, alignment with a teacher, spectra, uniformity, GMM of latents", latents_main},
      {"equivariance", "EQ-VAE equivariance errors of a VAE under downscaling and 90° rotations", equivariance_main},
      {"correlate", "Pearson/Spearman of measures across VAEs' results against their gFID", analyze_correlate_main},
  };
  return run_group("analyze", verbs, argc, argv);
}

}  // namespace latentlab::tools
