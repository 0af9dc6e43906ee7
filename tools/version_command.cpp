// latentlab version: what this build is and what it runs on.
#include <iostream>

#include <nlohmann/json.hpp>

#include "core/options.h"
#include "core/runtime.h"
#include "core/version.h"

namespace latentlab::tools {

int version_main(int argc, const char* const* argv) {
  RuntimeOptions runtime;
  bool json = false;
  OptionGroup options("Options");
  options.add("json", &json, "Print JSON instead of text");
  options.add("threads", &runtime.threads, "CPU threads to report; 0 uses all cores");
  CommandParser parser({"version",
                        "Prints the tool version, git commit, LibTorch version, CUDA devices, threads and BLAS.",
                        "latentlab version [--json]", "latentlab version --json", "latentlab smoke"});
  parser.add(options);
  if (!parser.parse(argc, argv)) return 0;
  apply_runtime(runtime);
  const auto info = version_info();
  std::cout << (json ? to_json(info).dump(2) + "\n" : to_text(info));
  return 0;
}

}  // namespace latentlab::tools
