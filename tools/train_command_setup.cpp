#include "train_command_setup.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace latentlab::tools {

void TrainCommandSetup::register_options(OptionGroup* training) {
  if (training)
    training->add("stop-at", &stop_at,
                  "Stop (with a checkpoint) at this step, to continue later with --resume (0 = no)");
  distributed_options.register_options(distributed_group);
  runtime_options.register_options(runtime_group);
}

void TrainCommandSetup::add_groups(CommandParser& parser) {
  parser.add(distributed_group);
  parser.add(runtime_group);
}

Runtime TrainCommandSetup::start() {
  if (stop_at < 0) fail_usage("--stop-at", "must be >= 0, got {}", stop_at);
  const Runtime runtime = apply_runtime(runtime_options);
  communicator = distributed::Communicator::from_environment(distributed_options);
  return runtime;
}

std::string train_summary_line(const std::string& command, const train::TrainSummary& summary, int64_t total_steps,
                               const std::string& loss, const std::string& weights) {
  const nlohmann::json terms = train::terms_json(summary.last_terms);
  return fmt::format("{}: steps {} -> {} in {:.1f} s ({:.2f} steps/s), {} {:.4f}; {}\n", command, summary.start_step,
                     summary.end_step, summary.seconds, summary.steps_per_second, loss, terms.value("total", 0.0),
                     summary.complete(total_steps) ? "wrote " + weights : "checkpoint " + summary.last_checkpoint);
}

}  // namespace latentlab::tools
