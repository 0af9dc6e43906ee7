// What the training commands (train-vae, train-ldm, train-teacher) share around their trainer: the runtime
// and distributed options, --stop-at, joining the data-parallel job, and the one-line summary of a run.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/options.h"
#include "core/runtime.h"
#include "distributed/communicator.h"
#include "train/train_summary.h"

namespace latentlab::tools {

struct TrainCommandSetup {
  RuntimeOptions runtime_options;
  distributed::DistributedOptions distributed_options;
  int64_t stop_at = 0;
  OptionGroup distributed_group{"Distributed"}, runtime_group{"Runtime"};

  // --stop-at into `training` (null: the command has none); the distributed and runtime options into their
  // own groups, which add_groups adds to the parser after the command's groups.
  void register_options(OptionGroup* training);
  void add_groups(CommandParser& parser);
  // After parsing: checks --stop-at, applies the runtime options (log level, threads, every generator's
  // seed, the device), then joins the job (a single-process communicator without WORLD_SIZE).
  Runtime start();

  std::shared_ptr<distributed::Communicator> communicator;  // set by start()
};

// "train-vae: steps 0 -> 4 in 1.2 s (3.33 steps/s), total loss 0.1234; wrote OUT/vae.safetensors", or the
// last checkpoint instead of `weights` when the run stopped early. `loss` names the summary's "total" term.
std::string train_summary_line(const std::string& command, const train::TrainSummary& summary, int64_t total_steps,
                               const std::string& loss, const std::string& weights);

}  // namespace latentlab::tools
