// latentlab train-vae: trains an AutoencoderKL (plain, VA-VAE or Send-VAE) from a config file; resumable.
// The trainer is lib/train/vae_trainer.h; this file parses options, opens the data and the teacher, and
// writes OUT/train-vae.json. Launched as several ranks (torchrun's variables, docs/distributed.md) it trains
// data parallel; rank 0 writes the outputs and prints the summary.
#include <iostream>

#include <nlohmann/json.hpp>

#include "datasets/dataset_spec.h"
#include "io/results_json.h"
#include "models/teacher.h"
#include "train/vae_trainer.h"
#include "train_command_setup.h"

namespace latentlab::tools {

int train_vae_main(int argc, const char* const* argv) {
  train::VaeTrainOptions options;
  TrainCommandSetup setup;
  OptionGroup group("Training");
  options.register_options(group);
  setup.register_options(&group);
  CommandParser parser({"train-vae",
                        "Trains an AutoencoderKL with L1/MSE + LPIPS + KL + GAN and, in vavae or sendvae mode, an "
                        "alignment to a frozen teacher's patch tokens; checkpoints and resumes exactly.",
                        "latentlab train-vae --config CONFIG.ini [options]",
                        "latentlab train-vae --config configs/demo/vae-plain.ini --out runs/vae-plain",
                        "latentlab vae info, latentlab recon, latentlab cache"});
  parser.add(group);
  setup.add_groups(parser);
  if (!parser.parse(argc, argv)) return 0;
  options.validate();
  const Runtime rt = setup.start();
  options.seed = rt.seed;
  options.device = rt.device;
  const auto& communicator = setup.communicator;
  if (communicator->backend() == "nccl") options.device = communicator->device();  // cuda:LOCAL_RANK

  const auto source = datasets::open_dataset(options.dataset);
  std::shared_ptr<models::Teacher> teacher;
  if (options.uses_teacher()) teacher = models::make_teacher(options.teacher);
  train::VaeTrainer trainer(options, *source, teacher, communicator);
  trainer.resume();
  const auto summary = trainer.run(setup.stop_at);
  if (!communicator->is_main()) return 0;

  const bool complete = summary.complete(options.steps);
  nlohmann::json results = train::summary_results(summary, options.steps);
  results["world_size"] = communicator->world_size();
  nlohmann::json protocol = {{"task", "train-vae"},
                             {"mode", options.mode},
                             {"dataset", source->info().spec},
                             {"vae", trainer.vae().config().to_json()},
                             {"teacher", teacher ? teacher->description() : ""},
                             {"precision", options.precision},
                             {"seed", rt.seed}};
  std::vector<io::InputRecord> inputs;
  if (!options.init.empty()) inputs.push_back(io::describe_input("init", options.init));
  if (complete) inputs.push_back(io::describe_input("weights", options.out + "/vae.safetensors"));
  const std::string results_path = options.out + "/train-vae.json";
  io::write_results(results_path, io::make_results({"train-vae", rt.device, rt.threads, parser.resolved()}, protocol,
                                                   inputs, results));
  std::cout << train_summary_line("train-vae", summary, options.steps, "total loss", options.out + "/vae.safetensors");
  return 0;
}

}  // namespace latentlab::tools
