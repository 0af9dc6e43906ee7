// latentlab cache: encode a dataset with a VAE into a latent store (lib/cache/cache_latents.h).
#include <iostream>

#include "cache/cache_latents.h"
#include "core/error.h"
#include "core/options.h"
#include "core/runtime.h"
#include "datasets/dataset_spec.h"
#include "datasets/pipeline.h"
#include "distributed/launch_env.h"
#include "distributed/shard.h"
#include "io/results_json.h"
#include "models/autoencoder_kl.h"
#include "models/teacher.h"

namespace latentlab::tools {

int cache_main(int argc, const char* const* argv) {
  std::string vae_path, data, out, preprocess = "none", shard, dtype = "float32", results;
  int resolution = 256, batch_size = 32;
  bool flip = false, force = false;
  std::string teacher_spec, teacher_dtype = "float16";
  int teacher_patch = 1;
  RuntimeOptions runtime;
  OptionGroup options("Options"), runtime_group("Runtime");
  options.add("vae", &vae_path, "VAE weights (safetensors from latentlab, LDM/REPA-E/VA-VAE .pt/.ckpt, diffusers)");
  options.add("data", &data, std::string("Dataset: ") + datasets::dataset_spec_forms());
  options.add("out", &out,
              std::string("The latent store to write (HDF5); resumed when a partial one exists") +
                  distributed::kShardOutputHelp);
  options.add_choice("preprocess", &preprocess, {"none", "adm-center-crop", "resize-center-crop", "center-crop"},
                     "Per-image preprocessing before encoding");
  options.add("res", &resolution, "Output side for the preprocessing");
  options.add("flip", &flip, "Also store the posterior of the horizontally flipped images");
  options.add("shard", &shard,
              "Encode only shard i of n (i/n: positions i, i + n, ...); merge the shards with `latentlab store "
              "merge` (default: RANK/WORLD_SIZE when a launcher sets them, else 0/1; then --out needs {rank})");
  options.add_choice("dtype", &dtype, {"float32", "float16"}, "Storage type of mean and std");
  options.add("teacher", &teacher_spec,
              "Also store this REPA teacher's patch tokens of each image (and flipped image), which train-ldm then "
              "reads instead of running the teacher: " +
                  std::string(models::teacher_spec_forms()));
  options.add("teacher-patch", &teacher_patch,
              "With --teacher: the patch size of the SiT that will read the tokens (token grid = latent side / "
              "patch)");
  options.add_choice("teacher-dtype", &teacher_dtype, {"float16", "float32"},
                     "With --teacher: storage type of the tokens (float16 halves the store; docs/latent-store.md)");
  options.add("batch-size", &batch_size, "Images encoded at once (a resumed run must use the same)");
  options.add("force", &force, "Replace a store made from other weights, data or preprocessing");
  options.add("results", &results,
              std::string("Also write a results JSON here (optional)") + distributed::kShardOutputHelp);
  runtime.register_options(runtime_group);
  CommandParser parser({"cache",
                        "Encodes every image of a dataset with a VAE and stores the posterior mean and std, with "
                        "labels, attributes and per-channel statistics, in an HDF5 latent store. Interrupted runs "
                        "resume; a complete matching store is reused.",
                        "latentlab cache --vae CKPT --data SPEC --out STORE.h5 [options]",
                        "latentlab cache --vae vae.safetensors --data shapes:n=10000,res=64 --out shapes.h5",
                        "latentlab store info, latentlab store merge"});
  parser.add(options);
  parser.add(runtime_group);
  if (!parser.parse(argc, argv)) return 0;
  for (const auto& [name, value] : {std::pair{"--vae", &vae_path}, {"--data", &data}, {"--out", &out}})
    if (value->empty()) fail_usage(name, "is required");
  const distributed::Shard resolved = distributed::resolve_shard(shard, distributed::read_launch_env());
  out = distributed::shard_output(out, resolved, "--out");
  results = distributed::shard_output(results, resolved, "--results");
  const Runtime rt = apply_runtime(runtime);

  cache::CacheOptions co;
  co.out = out, co.flip = flip, co.force = force, co.batch_size = batch_size, co.device = rt.device;
  co.threads = rt.threads;
  co.shard_index = resolved.index, co.shard_count = resolved.count;
  co.dtype = store::parse_dtype(dtype, "--dtype");
  if (batch_size < 1) fail_usage("--batch-size", "must be >= 1, got {}", batch_size);

  const auto prep = datasets::make_preprocess(preprocess, resolution);
  const auto source = datasets::open_dataset(data);
  models::AutoencoderKLLoadOptions lo;
  lo.resolution = resolution;
  auto vae = models::AutoencoderKL::load(vae_path, lo);
  std::unique_ptr<models::Teacher> teacher;
  if (!teacher_spec.empty()) {
    teacher = models::make_teacher(teacher_spec);
    co.teacher = teacher.get();
    co.teacher_patch = teacher_patch;
    co.teacher_dtype = store::parse_dtype(teacher_dtype, "--teacher-dtype");
  }
  const auto report = cache::cache_latents(vae, *source, prep, co);

  if (!results.empty()) {
    const nlohmann::json protocol = {{"dataset", source->info().spec},
                                     {"preprocess", prep.protocol},
                                     {"shard", resolved.str()},
                                     {"vae_sha256", vae.weights_sha256()},
                                     {"dtype", dtype},
                                     {"flip", flip},
                                     {"teacher", teacher ? teacher->description() : ""}};
    io::write_results(results, io::make_results({"cache", rt.device, rt.threads, parser.resolved()}, protocol,
                                                {io::describe_input("vae", vae_path)}, report.to_json()));
  }
  if (report.status == "complete")
    std::cout << fmt::format("{}: complete, {} rows (nothing to do)\n", out, report.rows);
  else
    std::cout << fmt::format("{}: {} rows of {} encoded in {:.1f} s ({:.0f} img/s){}\n", out,
                             report.rows - report.resumed_from, report.rows, report.seconds,
                             (report.rows - report.resumed_from) / std::max(report.seconds, 1e-9),
                             report.resumed_from > 0 ? fmt::format(", resumed at row {}", report.resumed_from) : "");
  return 0;
}

}  // namespace latentlab::tools
