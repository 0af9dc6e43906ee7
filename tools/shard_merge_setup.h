// What the shard merges (`metrics merge`, `recon merge`) share before their own work: the shards' results
// JSONs as positional arguments, --out and the runtime options, parsed and applied.
#pragma once

#include <string>
#include <vector>

#include "core/options.h"
#include "io/results_json.h"

namespace latentlab::tools {

struct ShardMergeSetup {
  std::vector<std::string> shards;  // at least one
  std::string out;                  // the results JSON to write; "" = none
  io::ResultsContext context;       // the command, resolved device, threads and options, for io::make_results

  // Parses argv with `help`; `shards_help` describes the SHARDS. Returns false when --help or --print-config
  // was handled (the command then exits 0). UserError on bad options.
  bool parse(const CommandHelp& help, const std::string& shards_help, int argc, const char* const* argv);
};

}  // namespace latentlab::tools
