// latentlab train-ldm: trains a SiT (+ REPA) by flow matching on a latent store from a config file; resumable,
// data-parallel under a launcher (WORLD_SIZE > 1). The trainer is lib/train/ldm_trainer.h; this file parses
// options, joins the job, opens the teacher, and writes OUT/train-ldm.json.
#include <iostream>

#include <nlohmann/json.hpp>

#include "io/results_json.h"
#include "models/teacher.h"
#include "train/ldm_trainer.h"
#include "train_command_setup.h"

namespace latentlab::tools {

int train_ldm_main(int argc, const char* const* argv) {
  train::LdmTrainOptions options;
  TrainCommandSetup setup;
  OptionGroup group("Training");
  options.register_options(group);
  setup.register_options(&group);
  CommandParser parser({"train-ldm",
                        "Trains a class-conditional SiT on the latents of a store by flow matching (velocity, "
                        "linear path), with label dropout, the REPA alignment to a teacher's patch tokens, AdamW, "
                        "EMA and sample grids; checkpoints and resumes exactly; data-parallel when launched with "
                        "WORLD_SIZE > 1 (torchrun variables).",
                        "latentlab train-ldm --config CONFIG.ini --store LATENTS.h5 [options]",
                        "latentlab train-ldm --config configs/demo/ldm.ini --store runs/demo-latents.h5 --out "
                        "runs/demo-ldm",
                        "latentlab cache, latentlab sample, latentlab train-vae"});
  parser.add(group);
  setup.add_groups(parser);
  if (!parser.parse(argc, argv)) return 0;
  options.validate();
  const Runtime rt = setup.start();
  const auto& communicator = setup.communicator;
  options.seed = rt.seed;
  options.device = communicator->distributed() ? communicator->device() : rt.device;

  std::shared_ptr<models::Teacher> teacher;
  if (!options.teacher.empty() && options.repa != "off") teacher = models::make_teacher(options.teacher);
  train::LdmTrainer trainer(options, teacher, communicator.get());
  trainer.resume();
  const auto summary = trainer.run(setup.stop_at);
  if (!communicator->is_main()) return 0;

  const bool complete = summary.complete(options.steps);
  nlohmann::json results = train::summary_results(summary, options.steps);
  nlohmann::json protocol = {{"task", "train-ldm"},
                             {"sit", trainer.sit().config().to_json()},
                             {"latent_norm", trainer.latent_norm().to_json()},
                             {"objective",
                              {{"path", "linear"},
                               {"prediction", "velocity"},
                               {"time_convention", "t=0 data, t=1 noise"},
                               {"time_sampling", options.time_sampling.kind},
                               {"label_dropout", options.label_dropout}}},
                             {"repa", summary.repa},
                             {"repa_weight", summary.repa ? options.repa_weight : 0.0},
                             {"teacher", trainer.teacher_description()},
                             {"repa_features", summary.repa ? (trainer.repa_from_store() ? "store" : "online") : ""},
                             {"global_batch", options.batch_size},
                             {"world_size", communicator->world_size()},
                             {"precision", options.precision},
                             {"seed", rt.seed}};
  std::vector<io::InputRecord> inputs{io::describe_input("store", options.store)};
  if (complete) inputs.push_back(io::describe_input("weights", options.out + "/sit.safetensors"));
  const std::string results_path = options.out + "/train-ldm.json";
  io::write_results(results_path, io::make_results({"train-ldm", options.device, rt.threads, parser.resolved()},
                                                   protocol, inputs, results));
  std::cout << train_summary_line("train-ldm", summary, options.steps, "loss", options.out + "/sit.safetensors");
  return 0;
}

}  // namespace latentlab::tools
