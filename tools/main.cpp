// latentlab <command> [options]: finds the command in the table and reports errors in one line.
#include <cstring>
#include <iostream>
#include <string>

#include <c10/util/Exception.h>

#include "command_table.h"
#include "core/allocator.h"
#include "core/error.h"

using latentlab::tools::commands;
using latentlab::tools::VerbWord;

namespace {

void print_usage() {
  std::cout << "latentlab: train VAEs, cache their latents, probe them, train latent diffusion, score everything.\n\n"
               "Usage: latentlab <command> [options]\n"
               " e.g.: latentlab weights inspect model.safetensors\n\nCommands:\n";
  for (const auto& c : commands())
    std::cout << "  " << c.name << std::string(12 - std::min<size_t>(11, std::strlen(c.name)), ' ') << c.summary
              << "\n";
  std::cout
      << "\n`latentlab <command> --help` describes a command; every option can also come from --config FILE.ini.\n";
}

}  // namespace

int main(int argc, char** argv) {
  latentlab::tune_allocator();  // before the first tensor: large blocks stay in the process
  const std::string name = argc > 1 ? argv[1] : "";
  if (name.empty() || name == "--help" || name == "-h" || name == "help") {
    if (name == "help" && argc > 2) {
      const char* args[] = {argv[2], "--help"};
      for (const auto& c : commands())
        if (c.name == std::string(argv[2])) return c.run(2, args);
    }
    print_usage();
    return name.empty() ? 2 : 0;
  }
  std::string label = name;
  try {
    for (const auto& c : commands()) {
      if (name != c.name) continue;
      const bool verb =
          argc > 2 && argv[2][0] != '-' &&
          (c.verbs == VerbWord::Any || (c.verbs == VerbWord::Merge && std::strcmp(argv[2], "merge") == 0));
      if (verb) label += std::string(" ") + argv[2];  // "weights inspect", "sample merge"
      return c.run(argc - 1, argv + 1);
    }
    std::cerr << "latentlab: error: '" << name
              << "': unknown command (known: " << latentlab::tools::known_names(commands()) << ")\n";
    return 2;
  } catch (const latentlab::UserError& e) {
    std::cerr << "latentlab " << label << ": error: " << e.what() << "\n";
    return e.exit_code();
  } catch (const c10::Error& e) {
    // LibTorch errors carry a C++ backtrace; users get the first line only.
    std::string message = e.what_without_backtrace();
    message = message.substr(0, message.find('\n'));
    std::cerr << "latentlab " << label << ": error: " << message << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "latentlab " << label << ": error: " << e.what() << "\n";
    return 3;
  }
}
