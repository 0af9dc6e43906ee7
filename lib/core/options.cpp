#include "core/options.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace po = boost::program_options;

namespace latentlab {
namespace {

template <typename T>
std::string default_text(const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value ? "true" : "false";
  } else if constexpr (std::is_same_v<T, std::string>) {
    return value.empty() ? "\"\"" : value;
  } else {
    std::ostringstream out;
    out << value;
    return out.str();
  }
}

}  // namespace

OptionGroup::OptionGroup(std::string caption)
    : caption_(std::move(caption)), description_(std::make_unique<po::options_description>(caption_, 110)) {}
OptionGroup::~OptionGroup() = default;
OptionGroup::OptionGroup(OptionGroup&&) noexcept = default;

po::options_description& OptionGroup::description() {
  return *description_;
}

template <typename T>
static void add_value(po::options_description& description, std::vector<std::function<void(nlohmann::json&)>>& getters,
                      const std::string& name, T* value, const std::string& help) {
  auto* semantic = po::value<T>(value)->default_value(*value, default_text(*value));
  // A flag never takes the next argument as its value (`--json FILE`); `--flag=false` and `flag = false`
  // in a config file still work.
  if constexpr (std::is_same_v<T, bool>) semantic->implicit_value(true, "")->zero_tokens();
  description.add_options()(name.c_str(), semantic, help.c_str());
  getters.push_back([name, value](nlohmann::json& out) { out[name] = *value; });
}

void OptionGroup::add(const std::string& name, bool* value, const std::string& help) {
  add_value(*description_, getters_, name, value, help);
}
void OptionGroup::add(const std::string& name, int* value, const std::string& help) {
  add_value(*description_, getters_, name, value, help);
}
void OptionGroup::add(const std::string& name, int64_t* value, const std::string& help) {
  add_value(*description_, getters_, name, value, help);
}
void OptionGroup::add(const std::string& name, double* value, const std::string& help) {
  add_value(*description_, getters_, name, value, help);
}
void OptionGroup::add(const std::string& name, std::string* value, const std::string& help) {
  add_value(*description_, getters_, name, value, help);
}

void OptionGroup::add_choice(const std::string& name, std::string* value, std::vector<std::string> choices,
                             const std::string& help) {
  std::string joined;
  for (const auto& c : choices) joined += (joined.empty() ? "" : "|") + c;
  add_value(*description_, getters_, name, value, help + " (" + joined + ")");
  validators_.push_back([name, value, choices = std::move(choices), joined] {
    if (std::find(choices.begin(), choices.end(), *value) == choices.end())
      fail_usage("--" + name, "unknown value '{}' (known: {})", *value, joined);
  });
}

void OptionGroup::add_list(const std::string& name, std::vector<std::string>* value, const std::string& help) {
  description_->add_options()(name.c_str(), po::value<std::vector<std::string>>(value)->composing(), help.c_str());
  getters_.push_back([name, value](nlohmann::json& out) { out[name] = *value; });
}

void OptionGroup::validate() const {
  for (const auto& check : validators_) check();
}

void OptionGroup::resolve(nlohmann::json& out) const {
  for (const auto& get : getters_) get(out);
}

struct CommandParser::Positional {
  std::string name;
  std::string help;
  std::string* value = nullptr;
  std::vector<std::string>* values = nullptr;
  size_t min_count = 1;
};

CommandParser::CommandParser(CommandHelp help) : help_(std::move(help)) {}
CommandParser::~CommandParser() = default;

void CommandParser::add(OptionGroup& group) {
  groups_.push_back(&group);
}

void CommandParser::positional(const std::string& name, std::string* value, const std::string& help) {
  LATENTLAB_ASSERT(positionals_.empty() || !positionals_.back().values, "a list positional must be last");
  positionals_.push_back({name, help, value, nullptr, 1});
}

void CommandParser::positional_list(const std::string& name, std::vector<std::string>* values, const std::string& help,
                                    size_t min_count) {
  LATENTLAB_ASSERT(positionals_.empty() || !positionals_.back().values, "a list positional must be last");
  positionals_.push_back({name, help, nullptr, values, min_count});
}

std::string CommandParser::help_text() const {
  std::ostringstream out;
  out << help_.summary << "\n\nUsage: " << help_.usage << "\n";
  if (!help_.example.empty()) out << " e.g.: " << help_.example << "\n";
  if (!help_.see_also.empty()) out << "See also: " << help_.see_also << "\n";
  if (!positionals_.empty()) {
    out << "\nArguments:\n";
    for (const auto& p : positionals_)
      out << "  " << p.name << std::string(p.name.size() < 22 ? 22 - p.name.size() : 1, ' ') << p.help << "\n";
  }
  for (const auto* group : groups_) out << "\n" << const_cast<OptionGroup*>(group)->description();
  out << "\nGeneral:\n"
      << "  --help                Print this help and exit.\n"
      << "  --config FILE         Read options from an INI file (key = value); repeatable, later files win,\n"
      << "                        the command line wins over all files.\n"
      << "  --print-config        Print every option with its resolved value as INI, and exit.\n";
  return out.str();
}

bool CommandParser::parse(int argc, const char* const* argv) {
  po::options_description file_options;
  for (auto* group : groups_) file_options.add(group->description());

  po::options_description general;
  general.add_options()("help", po::bool_switch())("print-config", po::bool_switch(&print_config_))(
      "config", po::value<std::vector<std::string>>(&config_files_)->composing());
  po::options_description hidden;
  hidden.add_options()("positional-args", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(file_options).add(general).add(hidden);
  po::positional_options_description positional;
  positional.add("positional-args", -1);

  po::variables_map vm;
  try {
    // The command line is stored first: Boost keeps the first value stored, so it wins over files.
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
  } catch (const po::error& e) {
    throw UserError("command line", e.what(), UserError::Kind::Usage);
  }
  // Bound variables are only set by notify(), which must wait for the config files: read the map.
  if (vm.count("config")) config_files_ = vm["config"].as<std::vector<std::string>>();
  if (vm["help"].as<bool>()) {
    std::cout << help_text();
    return false;
  }
  // Later files win over earlier ones, so store them last-first.
  for (auto it = config_files_.rbegin(); it != config_files_.rend(); ++it) {
    std::ifstream in(*it);
    if (!in) fail_usage(*it, "cannot open config file");
    try {
      po::store(po::parse_config_file(in, file_options, false), vm);
    } catch (const po::error& e) {
      throw UserError(*it, e.what(), UserError::Kind::Usage);
    }
  }
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    throw UserError("command line", e.what(), UserError::Kind::Usage);
  }
  for (const auto* group : groups_) group->validate();

  std::vector<std::string> args;
  if (vm.count("positional-args")) args = vm["positional-args"].as<std::vector<std::string>>();
  size_t next = 0;
  for (const auto& p : positionals_) {
    if (p.value) {
      if (next >= args.size() && !print_config_) fail_usage(p.name, "missing argument (see --help)");
      if (next < args.size()) *p.value = args[next++];
    } else {
      p.values->assign(args.begin() + std::min(next, args.size()), args.end());
      next = args.size();
      if (p.values->size() < p.min_count && !print_config_)
        fail_usage(p.name, "needs at least {} argument(s) (see --help)", p.min_count);
    }
  }
  if (next < args.size()) fail_usage(args[next], "unexpected argument (see --help)");

  if (print_config_) {
    std::cout << to_ini(resolved(true));
    return false;
  }
  return true;
}

nlohmann::json CommandParser::resolved(bool options_only) const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto* group : groups_) group->resolve(out);
  if (options_only) return out;
  for (const auto& p : positionals_) {
    if (p.value)
      out[p.name] = *p.value;
    else
      out[p.name] = *p.values;
  }
  return out;
}

std::string to_ini(const nlohmann::json& resolved) {
  std::ostringstream out;
  for (const auto& [key, value] : resolved.items()) {
    if (value.is_array()) {
      for (const auto& item : value)
        out << key << " = " << (item.is_string() ? item.get<std::string>() : item.dump()) << "\n";
      if (value.empty()) out << "# " << key << " =\n";
    } else if (value.is_string()) {
      out << key << " = " << value.get<std::string>() << "\n";
    } else {
      out << key << " = " << value.dump() << "\n";
    }
  }
  return out.str();
}

}  // namespace latentlab
