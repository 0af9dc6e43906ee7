// latentlab sample: a SiT checkpoint + its VAE → class-conditional samples as an ADM .npz or a PNG folder.
// `latentlab sample merge` joins the .npz files of a sharded run into the file one process writes.
#include <iostream>

#include <fmt/format.h>

#include "core/error.h"
#include "core/log.h"
#include "core/options.h"
#include "core/runtime.h"
#include "diffusion/latent_norm.h"
#include "diffusion/sample_run.h"
#include "distributed/launch_env.h"
#include "distributed/shard.h"
#include "io/results_json.h"
#include "models/autoencoder_kl.h"
#include "models/sit.h"

namespace latentlab::tools {
namespace {

// "LOW,HIGH" → the guidance interval.
void parse_interval(const std::string& text, diffusion::Guidance& guidance) {
  const auto comma = text.find(',');
  try {
    size_t used_low = 0, used_high = 0;
    if (comma == std::string::npos) throw std::invalid_argument("no comma");
    guidance.low = std::stod(text.substr(0, comma), &used_low);
    guidance.high = std::stod(text.substr(comma + 1), &used_high);
    if (used_low != comma || used_high != text.size() - comma - 1) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    fail_usage("--cfg-interval", "must be LOW,HIGH (two numbers in [0, 1]), got '{}'", text);
  }
}

int sample_merge_main(int argc, const char* const* argv) {
  std::vector<std::string> shards;
  std::string out;
  RuntimeOptions runtime;
  OptionGroup options("Options"), runtime_group("Runtime");
  options.add("out", &out, "The merged .npz to write (with its results JSON next to it)");
  runtime.register_options(runtime_group);
  CommandParser parser({"sample merge",
                        "Joins the .npz files of `latentlab sample --shard i/n` (each with its results JSON) into "
                        "the .npz one process would have written, byte for byte, streaming the rows.",
                        "latentlab sample merge SHARD.npz [SHARD.npz ...] --out ALL.npz",
                        "latentlab sample merge samples-0.npz samples-1.npz --out samples.npz",
                        "latentlab sample, latentlab metrics"});
  parser.add(options);
  parser.add(runtime_group);
  parser.positional_list("SHARDS", &shards, "The shards' .npz files, in any order", 1);
  if (!parser.parse(argc, argv)) return 0;
  if (out.empty()) fail_usage("--out", "is required");
  const Runtime rt = apply_runtime(runtime);
  const auto report = diffusion::merge_sample_shards(shards, out);
  std::vector<io::InputRecord> inputs;
  for (const auto& shard : shards) inputs.push_back(io::describe_input("shard", shard));
  io::write_results(out + ".json",
                    io::make_results({"sample merge", rt.device, rt.threads, parser.resolved()}, report.protocol,
                                     inputs, {{"samples", report.samples}, {"shards", report.shards}}));
  std::cout << fmt::format("{}: {} samples from {} shards\n", out, report.samples, report.shards);
  return 0;
}

}  // namespace

int sample_main(int argc, const char* const* argv) {
  if (argc > 1 && std::string(argv[1]) == "merge") {  // a verb beside the plain command
    std::vector<const char*> args{"sample merge"};
    args.insert(args.end(), argv + 2, argv + argc);
    return sample_merge_main(static_cast<int>(args.size()), args.data());
  }
  std::string sit_path, vae_path, vae_preset, shard, interval = "0,0.75";
  bool ignore_vae_identity = false;
  diffusion::SampleRunOptions run;
  run.sampler.guidance.scale = 2.5;
  RuntimeOptions runtime;
  OptionGroup options("Options"), sampler_group("Sampler"), runtime_group("Runtime");
  options.add("sit", &sit_path,
              "SiT checkpoint recording its latent normalisation (safetensors from latentlab, or a REPA-E .pt with "
              "its BatchNorm statistics)");
  options.add("vae", &vae_path, "VAE weights the SiT's latents came from (AutoencoderKL loaders)");
  options.add("vae-preset", &vae_preset, "VAE architecture when the file has no config and its shapes are ambiguous");
  options.add("ignore-vae-identity", &ignore_vae_identity,
              "Decode even when --vae is not the file recorded with the latent normalisation (a converted copy)");
  options.add("out", &run.out,
              std::string("Output: FILE.npz (ADM batch: arr_0 uint8 NHWC, arr_1 labels) or a PNG folder") +
                  distributed::kShardOutputHelp);
  options.add("num", &run.num, "Samples in the whole run (all shards together)");
  options.add("batch", &run.batch, "Samples per batch (one resumable unit)");
  options.add("shard", &shard,
              "Sample only shard I of N (I/N): contiguous indices; shards concatenate to the full run (default: "
              "RANK/WORLD_SIZE when a launcher sets them, else 0/1; then --out needs {rank})");
  options.add_choice("labels", &run.label_mode, diffusion::LabelOptions::modes(),
                     "Class labels: uniform at random per sample, or balanced (index mod classes)");
  sampler_group.add_choice("sampler", &run.sampler.kind, diffusion::SamplerOptions::kinds(),
                           "Euler ODE, or Euler-Maruyama SDE (t 1 -> 0.04, diffusion 2t, last step the mean)");
  sampler_group.add("steps", &run.sampler.steps, "Velocity evaluations per sample");
  sampler_group.add("cfg-scale", &run.sampler.guidance.scale, "Classifier-free guidance scale (1 = conditional only)");
  sampler_group.add("cfg-interval", &interval, "LOW,HIGH: guide only where LOW <= t <= HIGH (t = 1 is noise)");
  runtime.register_options(runtime_group);
  CommandParser parser({"sample",
                        "Samples class-conditional latents from a SiT with the Euler ODE or Euler-Maruyama SDE "
                        "sampler and classifier-free guidance (all channels, float64 integration), decodes them "
                        "with the VAE and writes an ADM-style .npz or a PNG folder, plus a results JSON next to "
                        "it. Seeded per sample and shardable; an interrupted run resumes from its finished "
                        "batches.",
                        "latentlab sample --sit SIT.safetensors --vae VAE --out samples.npz [--num N] [--sampler "
                        "ode|sde] [--steps N] [--cfg-scale W] [--cfg-interval LOW,HIGH] [--shard I/N]",
                        "latentlab sample --sit sit-xl.safetensors --vae vae.safetensors --num 50000 --batch 125 "
                        "--sampler sde --steps 250 --cfg-scale 2.5 --cfg-interval 0,0.75 --seed 0 --shard 0/8 "
                        "--out samples-0.npz",
                        "latentlab sample merge, latentlab metrics, latentlab vae info"});
  parser.add(options);
  parser.add(sampler_group);
  parser.add(runtime_group);
  if (!parser.parse(argc, argv)) return 0;
  for (const auto& [name, value] : {std::pair{"--sit", &sit_path}, {"--vae", &vae_path}, {"--out", &run.out}})
    if (value->empty()) fail_usage(name, "is required");
  parse_interval(interval, run.sampler.guidance);
  run.shard = distributed::resolve_shard(shard, distributed::read_launch_env());
  run.out = distributed::shard_output(run.out, run.shard, "--out");
  const Runtime rt = apply_runtime(runtime);
  run.seed = static_cast<uint64_t>(rt.seed);

  models::SiTLoadReport sit_report;
  auto sit = models::SiT::load(sit_path, {}, &sit_report);
  const auto norm = diffusion::read_latent_norm(sit_path, sit_report, sit.config().in_channels);
  models::AutoencoderKLLoadOptions vae_options;
  if (!vae_preset.empty()) vae_options.config = models::AutoencoderKLConfig::preset_config(vae_preset);
  auto vae = models::AutoencoderKL::load(vae_path, vae_options);
  if (vae.config().embed_dim != sit.config().in_channels)
    fail(vae_path, "has {} latent channels but the SiT reads {}", vae.config().embed_dim, sit.config().in_channels);
  if (norm.vae_sha256.empty()) {
    log::warn("{}: its latent normalisation does not name a VAE; decoding with {} unchecked", sit_path, vae_path);
  } else if (norm.vae_sha256 != vae.weights_sha256()) {
    if (!ignore_vae_identity)
      fail(vae_path,
           "is not the VAE the SiT was trained on (sha256 {}, recorded {}); pass --ignore-vae-identity "
           "to decode anyway",
           vae.weights_sha256(), norm.vae_sha256);
    log::warn("{}: not the recorded VAE (sha256 {}); decoding anyway", vae_path, vae.weights_sha256());
  }
  sit.to(c10::Device(rt.device));
  vae.to(c10::Device(rt.device));

  const auto report = diffusion::run_sampling(sit, vae, norm, run);
  nlohmann::json results = {{"samples", report.samples},
                            {"batches_sampled", report.batches_sampled},
                            {"batches_resumed", report.batches_resumed},
                            {"format", report.format}};
  io::write_results(
      run.out + ".json",
      io::make_results({"sample", rt.device, rt.threads, parser.resolved()}, report.protocol,
                       {io::describe_input("sit", sit_path), io::describe_input("vae", vae_path)}, results));
  std::cout << fmt::format(
      "{}: {} samples ({} shard {}, {} {} steps, cfg {} on [{}, {}]); {} batches sampled, {} "
      "resumed\n",
      run.out, report.samples, report.format, run.shard.str(), run.sampler.kind, run.sampler.steps,
      run.sampler.guidance.scale, run.sampler.guidance.low, run.sampler.guidance.high, report.batches_sampled,
      report.batches_resumed);
  return 0;
}

}  // namespace latentlab::tools
