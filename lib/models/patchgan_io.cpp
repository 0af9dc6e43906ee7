// PatchGANDiscriminator::load and ::save: finding the discriminator inside a weights file (see patchgan.h).
#include <algorithm>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "io/safetensors.h"
#include "io/weights.h"
#include "models/module_state.h"
#include "models/patchgan.h"

namespace latentlab::models {
namespace {

constexpr const char* kPatchGANAnchor = "main.0.weight";

// "" or "<…>discriminator." in front of main.0.weight; the shortest such prefix.
std::string find_patchgan_prefix(const io::NamedArrays& arrays, const std::string& path) {
  const std::string anchor = kPatchGANAnchor;
  std::vector<std::string> found;
  for (const auto& [name, array] : arrays) {
    if (name.size() < anchor.size() || name.compare(name.size() - anchor.size(), anchor.size(), anchor) != 0) continue;
    const std::string prefix = name.substr(0, name.size() - anchor.size());
    const std::string tail = "discriminator.";
    if (prefix.empty() ||
        (prefix.size() >= tail.size() && prefix.compare(prefix.size() - tail.size(), tail.size(), tail) == 0))
      found.push_back(prefix);
  }
  if (found.empty())
    fail(path,
         "no PatchGAN discriminator in this file: no tensor named main.0.weight or "
         "<…>discriminator.main.0.weight among its {} tensors (name the prefix if it is elsewhere)",
         arrays.size());
  return *std::min_element(found.begin(), found.end(),
                           [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
}

}  // namespace

PatchGANDiscriminator PatchGANDiscriminator::load(const std::string& path, const PatchGANLoadOptions& options,
                                                  PatchGANLoadReport* report) {
  PatchGANLoadReport r;
  const bool automatic = options.prefix == "auto";
  io::WeightsFile file = io::load_weights(path, automatic ? "" : options.prefix);
  r.format = io::format_name(file.format);
  const std::string prefix = automatic ? find_patchgan_prefix(file.arrays, path) : "";
  r.prefix = prefix.empty() ? (automatic ? "" : options.prefix) : prefix.substr(0, prefix.size() - 1);

  io::NamedArrays tensors;
  for (auto& [name, array] : file.arrays) {
    if (!starts_with(name, prefix)) {
      ++r.outside;
      continue;
    }
    tensors.emplace_back(name.substr(prefix.size()), std::move(array));
  }
  PatchGANConfig config;
  if (auto it = file.metadata.find(kConfigMetadataKey); it != file.metadata.end()) {
    config = PatchGANConfig::from_json_string(it->second, path + " (metadata " + kConfigMetadataKey + ")");
    r.config_source = "metadata";
  } else {
    config = PatchGANConfig::from_weights(tensors, path);
    r.config_source = "inferred";
  }
  PatchGANDiscriminator model(config);
  model.load_state(tensors, path);
  r.loaded = static_cast<int64_t>(tensors.size());
  log::debug("{}: PatchGAN (ndf {}, {} layers, prefix '{}', config {}): {} tensors loaded, {} outside", path,
             config.ndf, config.n_layers, r.prefix, r.config_source, r.loaded, r.outside);
  if (report) *report = r;
  return model;
}

void PatchGANDiscriminator::save(const std::string& path) const {
  save_model_safetensors(path, state_arrays(), kConfigMetadataKey, config_.to_json_string());
}

}  // namespace latentlab::models
