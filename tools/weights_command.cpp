// latentlab weights inspect|convert
#include <iostream>
#include <map>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "command_table.h"
#include "core/error.h"
#include "core/log.h"
#include "core/options.h"
#include "io/rename_map.h"
#include "io/safetensors.h"
#include "io/tensor_convert.h"
#include "io/weights.h"

namespace latentlab::tools {
namespace {

const char* kSelectHelp =
    "Sub-tree of a checkpoint to use, e.g. 'ema' or 'state_dict' (dotted for deeper levels); "
    "empty: the top level when it holds tensors, else the first of state_dict, model, ema, module, net";

int inspect_main(int argc, const char* const* argv) {
  std::string path, select;
  bool json = false, all = false;
  OptionGroup options("Options");
  options.add("select", &select, kSelectHelp);
  options.add("json", &json, "Print JSON instead of a table");
  options.add("all", &all, "List every tensor (the table shows the first 200)");
  CommandParser parser({"weights inspect",
                        "Lists the tensors of a weights file (name, dtype, shape) and the total parameter count.",
                        "latentlab weights inspect [options] FILE",
                        "latentlab weights inspect pt_inception-2015-12-05-6726825d.pth", "latentlab weights convert"});
  parser.add(options);
  parser.positional("FILE", &path, "safetensors, .pth/.pt (zip or legacy), .npz or .npy");
  if (!parser.parse(argc, argv)) return 0;

  const auto file = io::load_weights(path, select);
  uint64_t parameters = 0, bytes = 0;
  nlohmann::json tensors = nlohmann::json::array();
  for (const auto& [name, array] : file.arrays) {
    parameters += static_cast<uint64_t>(array.numel());
    bytes += array.nbytes;
    tensors.push_back({{"name", name}, {"dtype", io::dtype_name(array.dtype)}, {"shape", array.shape}});
  }
  if (json) {
    nlohmann::json doc = {{"path", path},
                          {"format", io::format_name(file.format)},
                          {"selected", file.selected},
                          {"metadata", file.metadata},
                          {"tensors", tensors},
                          {"total_parameters", parameters},
                          {"total_bytes", bytes}};
    std::cout << doc.dump(2) << "\n";
    return 0;
  }
  size_t width = 4;
  for (const auto& [name, array] : file.arrays) width = std::max(width, name.size());
  std::cout << fmt::format("{}: {}{}\n", path, io::format_name(file.format),
                           file.selected.empty() ? "" : " (selected '" + file.selected + "')");
  for (const auto& [key, value] : file.metadata) std::cout << fmt::format("  metadata {} = {}\n", key, value);
  size_t shown = 0;
  for (const auto& [name, array] : file.arrays) {
    if (!all && shown++ == 200) {
      std::cout << fmt::format("  … {} more (--all lists them)\n", file.arrays.size() - 200);
      break;
    }
    std::cout << fmt::format("  {:<{}}  {:<5} {}\n", name, width, io::dtype_name(array.dtype),
                             io::shape_string(array.shape));
  }
  std::cout << fmt::format("{} tensors, {} parameters ({:.2f} M), {:.1f} MiB\n", file.arrays.size(), parameters,
                           parameters / 1e6, bytes / 1048576.0);
  return 0;
}

int convert_main(int argc, const char* const* argv) {
  std::string in, out, select, prefix, rename_map, dtype = "keep";
  OptionGroup options("Options");
  options.add("select", &select, kSelectHelp);
  options.add("prefix", &prefix, "Keep only tensors whose name starts with this prefix, and strip it (e.g. 'model.')");
  options.add("rename-map", &rename_map, "File of 'FROM TO' lines renaming tensors (docs/formats.md)");
  options.add_choice("dtype", &dtype, {"keep", "f32", "f16", "bf16"}, "Cast floating-point tensors");
  CommandParser parser(
      {"weights convert", "Converts a weights file to safetensors, optionally selecting, renaming and casting tensors.",
       "latentlab weights convert [options] IN OUT.safetensors",
       "latentlab weights convert --select state_dict --prefix first_stage_model. vae.ckpt vae.safetensors",
       "latentlab weights inspect"});
  parser.add(options);
  parser.positional("IN", &in, "safetensors, .pth/.pt (zip or legacy), .npz or .npy");
  parser.positional("OUT", &out, "Output .safetensors file (written atomically)");
  if (!parser.parse(argc, argv)) return 0;

  auto file = io::load_weights(in, select);
  auto arrays = io::select_prefix(file.arrays, prefix, in);
  if (!rename_map.empty()) {
    std::vector<std::string> unused;
    arrays = io::rename_arrays(arrays, io::RenameMap::read(rename_map), &unused, rename_map);
    for (const auto& from : unused) log::warn("{}: rule '{}' matched no tensor", rename_map, from);
  }
  if (arrays.empty()) fail(in, "no tensors left to write");
  if (dtype != "keep") {
    const auto target = dtype == "f32" ? at::kFloat : dtype == "f16" ? at::kHalf : at::kBFloat16;
    for (auto& [name, array] : arrays) {
      const auto tensor = io::to_tensor(array);
      if (at::isFloatingType(tensor.scalar_type())) array = io::to_array(tensor.to(target), name);
    }
  }
  std::map<std::string, std::string> metadata = file.metadata;
  metadata["format"] = "pt";
  metadata["converted_from"] = in;
  io::write_safetensors(out, arrays, metadata);
  std::cout << fmt::format("wrote {} tensors to {}\n", arrays.size(), out);
  return 0;
}

}  // namespace

int weights_main(int argc, const char* const* argv) {
  static const std::vector<Command> verbs = {
      {"inspect", "List the tensors of a weights file and count parameters", inspect_main},
      {"convert", "Convert a weights file to safetensors (select, rename, cast)", convert_main},
  };
  return run_group("weights", verbs, argc, argv);
}

}  // namespace latentlab::tools
