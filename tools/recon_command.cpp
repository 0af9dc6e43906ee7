// latentlab recon: reconstruction metrics of a VAE on a dataset (rFID, PSNR, SSIM, LPIPS), one pass; with
// --shard i/n, one shard's per-image values and moments, for `latentlab recon merge`
// (tools/recon_merge_command.cpp).
#include <filesystem>
#include <iostream>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/error.h"
#include "core/options.h"
#include "core/runtime.h"
#include "distributed/launch_env.h"
#include "distributed/shard.h"
#include "io/results_json.h"
#include "metrics/evaluate/image_batches.h"
#include "metrics/evaluate/shard_file.h"
#include "metrics/reconstruction/recon_evaluation.h"
#include "metrics/reconstruction/recon_shard.h"
#include "models/autoencoder_kl.h"
#include "models/lpips_vgg.h"
#include "train/image_grid.h"

namespace latentlab::tools {

int recon_merge_main(int argc, const char* const* argv);

int recon_main(int argc, const char* const* argv) {
  if (argc > 1 && std::string(argv[1]) == "merge") {  // a verb beside the plain command
    std::vector<const char*> args{"recon merge"};
    args.insert(args.end(), argv + 2, argv + argc);
    return recon_merge_main(static_cast<int>(args.size()), args.data());
  }
  std::string vae_path, vae_preset, data, out, grid_path, shard_spec;
  int64_t grid_images = 8;
  std::vector<std::string> lpips_paths;
  bool sample = false;
  metrics::ImageInputOptions images;
  metrics::FeatureExtractorOptions extractor_options;
  RuntimeOptions runtime;
  OptionGroup options("Options"), extractor_group("Feature extractor (rFID)"), runtime_group("Runtime");
  options.add("vae", &vae_path, "VAE weights (safetensors from latentlab, LDM/REPA-E/VA-VAE .pt/.ckpt, diffusers)");
  options.add("vae-preset", &vae_preset,
              "Architecture preset, when the file has no config and its shapes are ambiguous (default: from the "
              "file's metadata, else inferred from its shapes at --res)");
  options.add("data", &data, std::string("Dataset: ") + datasets::dataset_spec_forms());
  options.add("sample", &sample,
              "Decode a posterior sample (drawn per image from --seed) instead of the posterior mean");
  options.add_list("lpips-weights", &lpips_paths,
                   "LPIPS-VGG weights: torchvision vgg16-397923af.pth and lpips weights/v0.1/vgg.pth "
                   "(repeat the option), or one file holding both; without it LPIPS is skipped");
  options.add(
      "out", &out,
      std::string("Write the results JSON here (optional; required with --shard)") + distributed::kShardOutputHelp);
  options.add("shard", &shard_spec,
              "Only shard i of n of the dataset (i/n: positions i, i + n, ...): saves its per-image values and "
              "moments in X.npz next to --out X.json for `latentlab recon merge` (default: RANK/WORLD_SIZE when a "
              "launcher sets them, else 0/1; then --out needs {rank})");
  options.add("save-grid", &grid_path,
              std::string("Write the first --grid-images originals (top row) over their reconstructions (bottom "
                          "row) as a PNG here (.ppm in a build without OpenCV)") +
                  distributed::kShardOutputHelp);
  options.add("grid-images", &grid_images, "Columns of the --save-grid picture");
  metrics::register_image_input_options(options, images);
  extractor_options.register_options(extractor_group);
  runtime.register_options(runtime_group);
  CommandParser parser({"recon",
                        "Encodes and decodes every image of a dataset with a VAE and reports rFID (Inception pool3 "
                        "of reconstructions vs originals), PSNR, SSIM and LPIPS on the uint8 pairs. rFID needs "
                        "--extractor-weights and LPIPS --lpips-weights; without them each is skipped and says so.",
                        "latentlab recon --vae CKPT --data SPEC [--extractor-weights FILE] [--lpips-weights "
                        "FILES] [--out results.json]",
                        "latentlab recon --vae vae.safetensors --data images:val --preprocess adm-center-crop "
                        "--res 256 --extractor-weights pt_inception-2015-12-05-6726825d.pth --lpips-weights "
                        "vgg16-397923af.pth --lpips-weights vgg.pth --out recon.json",
                        "latentlab recon merge, latentlab fid, latentlab vae info"});
  parser.add(options);
  parser.add(extractor_group);
  parser.add(runtime_group);
  if (!parser.parse(argc, argv)) return 0;
  for (const auto& [name, value] : {std::pair{"--vae", &vae_path}, {"--data", &data}})
    if (value->empty()) fail_usage(name, "is required");
  if (images.batch_size < 1) fail_usage("--batch-size", "must be >= 1, got {}", images.batch_size);
  const Runtime rt = apply_runtime(runtime);
  if (lpips_paths.size() > 2) fail_usage("--lpips-weights", "takes one or two files, got {}", lpips_paths.size());
  if (!extractor_options.features.empty())
    fail_usage("--features", "recon's rFID uses the FID Inception only (it is FID); leave --features out");
  if (!grid_path.empty() && grid_images < 1) fail_usage("--grid-images", "must be >= 1, got {}", grid_images);
  const distributed::Shard shard = distributed::resolve_shard(shard_spec, distributed::read_launch_env());
  out = distributed::shard_output(out, shard, "--out");
  grid_path = distributed::shard_output(grid_path, shard, "--save-grid");
  const std::string shard_file = shard.whole() ? "" : metrics::shard_file_for(out, "--out");

  // Cheap checks and loads first: a bad weights file fails before any image is decoded.
  const auto prep = datasets::make_preprocess(images.preprocess, images.resolution);
  const auto source = datasets::open_dataset(data);
  models::AutoencoderKLLoadOptions lo;
  lo.resolution = images.resolution;
  if (!vae_preset.empty()) lo.config = models::AutoencoderKLConfig::preset_config(vae_preset);
  auto vae = models::AutoencoderKL::load(vae_path, lo);
  vae.to(c10::Device(rt.device));
  std::shared_ptr<models::LpipsVGG> lpips;
  if (!lpips_paths.empty()) {
    lpips = std::make_shared<models::LpipsVGG>(models::LpipsVGG::load(lpips_paths));
    lpips->to(c10::Device(rt.device), at::kFloat);
  }
  std::unique_ptr<metrics::FeatureExtractor> extractor;
  if (!extractor_options.weights.empty()) {
    extractor_options.device = rt.device;
    extractor = metrics::make_inception(extractor_options);
  }

  datasets::PipelineOptions po;
  po.batch_size = images.batch_size;
  po.threads = rt.threads;
  po.shard_index = shard.index, po.shard_count = shard.count;
  datasets::Pipeline pipeline(*source, po, prep.transform);
  ProgressBar bar("recon", pipeline.examples(), "img");
  const metrics::ImageBatches next = [&]() -> std::optional<at::Tensor> {
    auto batch = pipeline.next();
    if (!batch) return std::nullopt;
    bar.advance(batch->images.size(0));
    return batch->images;
  };
  metrics::ReconOptions ro;
  ro.sample = sample;
  ro.seed = static_cast<uint64_t>(rt.seed);
  ro.grid_images = grid_path.empty() ? 0 : grid_images;
  ro.noise_offset = shard.index, ro.noise_stride = shard.count;
  ro.parts_only = !shard.whole();
  auto report = metrics::evaluate_reconstructions(next, vae, extractor.get(), lpips, ro);
  bar.finish();

  report.protocol["dataset"] = source->info().spec;
  report.protocol["preprocess"] = prep.protocol;
  report.protocol["vae_sha256"] = vae.weights_sha256();
  report.protocol["vae_config"] = nlohmann::json::parse(vae.config().to_json_string());
  if (!shard.whole()) {
    report.protocol["shard"] = shard.str();
    metrics::write_recon_shard(shard_file, pipeline.order(), report.parts, report.protocol);
    report.results = {{"shard", shard.str()},
                      {metrics::kKeyShardFile, std::filesystem::path(shard_file).filename().string()},
                      {"count", report.count}};
  }
  if (!out.empty()) {
    std::vector<io::InputRecord> inputs = {io::describe_input("vae", vae_path)};
    if (extractor) inputs.push_back(io::describe_input("extractor_weights", extractor_options.weights));
    for (const auto& path : lpips_paths) inputs.push_back(io::describe_input("lpips_weights", path));
    io::write_results(out, io::make_results({"recon", rt.device, rt.threads, parser.resolved()}, report.protocol,
                                            inputs, report.results));
  }
  if (shard.whole())
    std::cout << metrics::summarize_reconstruction(report.results);
  else
    std::cout << fmt::format("{}: shard {} ({} images), per-image values in {}\n", out, shard.str(), report.count,
                             shard_file);
  if (!grid_path.empty()) {
    // uint8 -> [-1, 1] -> tile_grid's rounding gives the same uint8 back.
    auto signed_unit = [](const at::Tensor& u8) { return u8.to(at::kFloat) / 127.5 - 1; };
    const std::string stem = grid_path.size() > 4 && (grid_path.substr(grid_path.size() - 4) == ".png" ||
                                                      grid_path.substr(grid_path.size() - 4) == ".ppm")
                                 ? grid_path.substr(0, grid_path.size() - 4)
                                 : grid_path;
    const auto grid = train::tile_grid({signed_unit(report.grid_originals), signed_unit(report.grid_reconstructions)});
    std::cout << "grid: " << train::write_grid_image(stem, grid) << "\n";
  }
  return 0;
}

}  // namespace latentlab::tools
