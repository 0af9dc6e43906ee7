// Options live with the code that uses them (STYLE.md, after Kaldi's ParseOptions): a component has an
// options struct with defaults and a `register_options(OptionGroup&)` that binds its fields; a command
// composes groups in a CommandParser. Every value can come from the command line or from
// `--config FILE.ini` (Boost.ProgramOptions INI syntax, `key = value`, `#` comments, `[section]` makes
// `section.key`). `--config` repeats; later files win over earlier ones and the command line wins over all
// files. Unknown options and keys are errors. After parsing, `resolved()` holds every option with its final
// value, defaults included, for the results JSON and `--print-config`.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace boost::program_options {
class options_description;
}

namespace latentlab {

class OptionGroup {
 public:
  explicit OptionGroup(std::string caption);
  ~OptionGroup();
  OptionGroup(OptionGroup&&) noexcept;

  // Binds `--name` to *value; the value *value holds now is the default shown in --help.
  void add(const std::string& name, bool* value, const std::string& help);
  void add(const std::string& name, int* value, const std::string& help);
  void add(const std::string& name, int64_t* value, const std::string& help);
  void add(const std::string& name, double* value, const std::string& help);
  void add(const std::string& name, std::string* value, const std::string& help);
  // Accepts one of `choices` only; the error lists them.
  void add_choice(const std::string& name, std::string* value, std::vector<std::string> choices,
                  const std::string& help);
  // Repeatable option: every occurrence appends.
  void add_list(const std::string& name, std::vector<std::string>* value, const std::string& help);

  const std::string& caption() const { return caption_; }
  boost::program_options::options_description& description();
  // Checks choices; called by CommandParser after parsing. Throws UserError naming the option.
  void validate() const;
  // Writes name -> value of every option into `out`.
  void resolve(nlohmann::json& out) const;

 private:
  std::string caption_;
  std::unique_ptr<boost::program_options::options_description> description_;
  std::vector<std::function<void(nlohmann::json&)>> getters_;
  std::vector<std::function<void()>> validators_;
};

// Describes a command for --help in Kaldi's four parts: what it does, usage, an example, see also.
struct CommandHelp {
  std::string name;      // "weights inspect"
  std::string summary;   // one sentence
  std::string usage;     // "latentlab weights inspect [options] FILE"
  std::string example;   // a real command line
  std::string see_also;  // "latentlab weights convert"
};

class CommandParser {
 public:
  explicit CommandParser(CommandHelp help);
  ~CommandParser();

  // The group must outlive the parser.
  void add(OptionGroup& group);
  // A required positional argument, in order. `many` takes all remaining ones (last only).
  void positional(const std::string& name, std::string* value, const std::string& help);
  void positional_list(const std::string& name, std::vector<std::string>* values, const std::string& help,
                       size_t min_count);

  // Parses argv (argv[0] is the command name, e.g. "weights inspect", and is skipped). Returns false when --help or
  // --print-config was handled and the command should exit 0. Throws UserError on bad input.
  bool parse(int argc, const char* const* argv);

  // Every option's final value by name; positional arguments too unless `options_only`.
  nlohmann::json resolved(bool options_only = false) const;
  std::string help_text() const;
  // The config files read, in order.
  const std::vector<std::string>& config_files() const { return config_files_; }

 private:
  struct Positional;
  CommandHelp help_;
  std::vector<OptionGroup*> groups_;
  std::vector<Positional> positionals_;
  std::vector<std::string> config_files_;
  bool print_config_ = false;
};

// Renders resolved options as an INI file that --config reads back.
std::string to_ini(const nlohmann::json& resolved);

}  // namespace latentlab
