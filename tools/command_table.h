// The explicit list of subcommands (DESIGN.md: registries are plain lists, no self-registration).
// Adding a command = one source file + one line in command_table.cpp + one end-to-end test.
#pragma once

#include <string>
#include <vector>

namespace latentlab::tools {

// argv[0] is the command's own name ("version", "weights inspect").
using CommandMain = int (*)(int argc, const char* const* argv);

// Which second word is part of the command's name in error messages ("latentlab store merge: error: ..."),
// as opposed to a positional argument ("latentlab probe x.h5" is still the probe command).
enum class VerbWord {
  None,   // no verbs
  Any,    // a noun with verbs (run_group)
  Merge,  // a plain command with one extra verb, merge
};

struct Command {
  const char* name;
  const char* summary;
  CommandMain run;
  VerbWord verbs = VerbWord::None;
};

const std::vector<Command>& commands();

// For a noun with several verbs (`weights inspect|convert`): runs the verb named by argv[1], or prints
// the verbs for `--help` / no verb. `group` is the noun.
int run_group(const std::string& group, const std::vector<Command>& verbs, int argc, const char* const* argv);

// "known: a, b, c" for error messages.
std::string known_names(const std::vector<Command>& list);

}  // namespace latentlab::tools
