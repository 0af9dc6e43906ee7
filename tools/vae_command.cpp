// latentlab vae init|info: make a seeded, randomly initialised AutoencoderKL, or describe a VAE file.
#include <iostream>

#include <ATen/ATen.h>

#include "command_table.h"
#include "core/error.h"
#include "core/options.h"
#include "core/runtime.h"
#include "models/autoencoder_kl.h"

namespace latentlab::tools {
namespace {

std::string preset_list() {
  std::string out;
  for (const auto& name : models::AutoencoderKLConfig::preset_names()) out += (out.empty() ? "" : ", ") + name;
  return out;
}

int init_main(int argc, const char* const* argv) {
  std::string preset = "tiny-f4d4", out;
  int64_t seed = 0;
  OptionGroup options("Options");
  options.add("preset", &preset, "Architecture: " + preset_list());
  options.add("seed", &seed, "Seed of the initial weights");
  options.add("out", &out, "Where to write the weights (safetensors, config in the metadata)");
  CommandParser parser({"vae init",
                        "Writes a randomly initialised AutoencoderKL: the starting point of training, and a "
                        "stand-in VAE for pipeline tests.",
                        "latentlab vae init --preset NAME --seed S --out FILE.safetensors",
                        "latentlab vae init --preset small-f8d8 --seed 0 --out vae.safetensors", "latentlab cache"});
  parser.add(options);
  if (!parser.parse(argc, argv)) return 0;
  if (out.empty()) fail_usage("--out", "is required");
  const auto config = models::AutoencoderKLConfig::preset_config(preset);
  at::manual_seed(static_cast<uint64_t>(seed));
  models::AutoencoderKL vae(config);
  vae.save(out);
  std::cout << fmt::format("{}: AutoencoderKL {} (f{}, {} latent channels), {} parameters, seed {}\n", out, preset,
                           config.downsampling_factor(), config.embed_dim, vae.parameter_count(), seed);
  return 0;
}

int vae_info_main(int argc, const char* const* argv) {
  std::string path;
  int64_t resolution = 256;
  OptionGroup options("Options");
  options.add("res", &resolution, "Image side the attention levels refer to when the config is inferred");
  CommandParser parser({"vae info", "Loads a VAE weights file and prints its architecture and how it was read.",
                        "latentlab vae info FILE", "latentlab vae info sd-vae-ft-ema.safetensors",
                        "latentlab weights inspect"});
  parser.add(options);
  parser.positional("FILE", &path, "VAE weights");
  if (!parser.parse(argc, argv)) return 0;
  models::AutoencoderKLLoadOptions lo;
  lo.resolution = resolution;
  models::AutoencoderKLLoadReport report;
  const auto vae = models::AutoencoderKL::load(path, lo, &report);
  std::cout << fmt::format("{}: {} ({} layout, prefix '{}', config from {})\n", path, report.format, report.layout,
                           report.prefix, report.config_source);
  std::cout << fmt::format("  {} tensors loaded, {} skipped (loss/EMA), {} outside the autoencoder\n", report.loaded,
                           report.skipped, report.outside);
  std::cout << fmt::format("  preset {}, f{}, {} latent channels, {} parameters\n", vae.config().preset,
                           vae.config().downsampling_factor(), vae.config().embed_dim, vae.parameter_count());
  std::cout << "  config " << vae.config().to_json_string() << "\n  sha256 " << vae.weights_sha256() << "\n";
  return 0;
}

}  // namespace

int vae_main(int argc, const char* const* argv) {
  static const std::vector<Command> verbs = {
      {"init", "Write a seeded, randomly initialised AutoencoderKL", init_main},
      {"info", "Describe a VAE weights file", vae_info_main},
  };
  return run_group("vae", verbs, argc, argv);
}

}  // namespace latentlab::tools
