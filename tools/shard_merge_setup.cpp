#include "shard_merge_setup.h"

#include "core/runtime.h"

namespace latentlab::tools {

bool ShardMergeSetup::parse(const CommandHelp& help, const std::string& shards_help, int argc,
                            const char* const* argv) {
  RuntimeOptions runtime;
  OptionGroup options("Options"), runtime_group("Runtime");
  options.add("out", &out, "Write the results JSON here (optional)");
  runtime.register_options(runtime_group);
  CommandParser parser(help);
  parser.add(options);
  parser.add(runtime_group);
  parser.positional_list("SHARDS", &shards, shards_help, 1);
  if (!parser.parse(argc, argv)) return false;
  const Runtime rt = apply_runtime(runtime);
  context = {help.name, rt.device, rt.threads, parser.resolved()};
  return true;
}

}  // namespace latentlab::tools
