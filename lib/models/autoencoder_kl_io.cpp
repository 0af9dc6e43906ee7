// AutoencoderKL::load and ::save: finding the autoencoder inside a weights file (prefix, layout, config) and
// writing safetensors with the config in the metadata. The file formats themselves live in lib/io.
#include <algorithm>
#include <map>
#include <memory>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "io/pth.h"
#include "io/safetensors.h"
#include "io/sha256.h"
#include "io/weights.h"
#include "models/autoencoder_kl.h"
#include "models/autoencoder_kl_diffusers.h"
#include "models/module_state.h"

namespace latentlab::models {
namespace {

constexpr const char* kAutoencoderKLAnchor = "encoder.conv_in.weight";  // present in LDM and diffusers layouts alike

// Every tensor of the file by its full dotted name; .pth tensors are read only once chosen.
struct Listing {
  std::vector<std::string> names;
  io::NamedArrays arrays;                      // flat formats: all arrays, in `names` order
  std::unique_ptr<io::PthFile> pth;            // .pth formats
  std::vector<const io::PickleValue*> values;  // .pth: the tensor leaves, in `names` order
  std::map<std::string, std::string> metadata;
};

Listing list_tensors(const std::string& path, io::WeightsFormat format) {
  Listing out;
  if (format == io::WeightsFormat::PthZip || format == io::WeightsFormat::PthLegacy) {
    out.pth = std::make_unique<io::PthFile>(path);
    for (const io::PthItem& item : io::flatten(out.pth->root(), path)) {
      if (!item.value->is(io::PickleValue::Kind::Tensor)) continue;
      out.names.push_back(item.name);
      out.values.push_back(item.value);
    }
  } else {
    io::WeightsFile file = io::load_weights(path);
    out.arrays = std::move(file.arrays);
    out.metadata = std::move(file.metadata);
    for (const auto& [name, array] : out.arrays) out.names.push_back(name);
  }
  return out;
}

std::string find_autoencoder_kl_prefix(const Listing& listing, const std::string& requested, const std::string& path) {
  if (requested != "auto") return requested.empty() ? "" : requested + ".";
  std::vector<std::string> found;
  for (const std::string& name : listing.names)
    if (ends_with(name, kAutoencoderKLAnchor)) {
      const std::string prefix = name.substr(0, name.size() - std::char_traits<char>::length(kAutoencoderKLAnchor));
      if (prefix.empty() || prefix.back() == '.') found.push_back(prefix);
    }
  if (found.empty()) {
    std::string first;
    for (size_t i = 0; i < listing.names.size() && i < 5; ++i) first += (i ? ", " : "") + listing.names[i];
    fail(path, "no AutoencoderKL in this file: no tensor named [<prefix>.]{} among its {} tensors (first: {})",
         kAutoencoderKLAnchor, listing.names.size(), first.empty() ? "none" : first);
  }
  // The shortest prefix wins; stable, so among equals the first in file order.
  std::stable_sort(found.begin(), found.end(),
                   [](const std::string& a, const std::string& b) { return a.size() < b.size(); });
  if (found.size() > 1)
    log::info("{}: {} autoencoders found; using prefix '{}' (pass a prefix to choose another)", path, found.size(),
              found.front());
  return found.front();
}

}  // namespace

AutoencoderKL AutoencoderKL::load(const std::string& path, const AutoencoderKLLoadOptions& options,
                                  AutoencoderKLLoadReport* report) {
  AutoencoderKLLoadReport r;
  const io::WeightsFormat format = io::detect_weights_format(path);
  r.format = io::format_name(format);
  Listing listing = list_tensors(path, format);
  const std::string prefix = find_autoencoder_kl_prefix(listing, options.prefix, path);
  r.prefix = prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1);

  io::NamedArrays tensors;
  for (size_t i = 0; i < listing.names.size(); ++i) {
    const std::string& full = listing.names[i];
    if (!starts_with(full, prefix)) {
      ++r.outside;
      continue;
    }
    std::string name = full.substr(prefix.size());
    if (starts_with(name, "loss.") || starts_with(name, "model_ema.")) {
      ++r.skipped;
      continue;
    }
    io::Array array = listing.pth ? listing.pth->read(*listing.values[i]->tensor, full) : listing.arrays[i].second;
    tensors.emplace_back(std::move(name), std::move(array));
  }
  if (tensors.empty()) fail(path, "no tensors under the prefix '{}'", r.prefix);
  r.layout = is_diffusers_autoencoder_kl(tensors) ? "diffusers" : "ldm";
  if (r.layout == "diffusers") tensors = diffusers_to_ldm_autoencoder_kl(tensors, path);

  AutoencoderKLConfig config;
  if (options.config) {
    config = *options.config;
    r.config_source = "options";
  } else if (auto it = listing.metadata.find(kConfigMetadataKey); it != listing.metadata.end()) {
    config = AutoencoderKLConfig::from_json_string(it->second, path + " (metadata " + kConfigMetadataKey + ")");
    r.config_source = "metadata";
  } else {
    config = AutoencoderKLConfig::from_weights(tensors, options.resolution, path);
    r.config_source = "inferred";
  }
  config.validate(path);

  AutoencoderKL model(config);
  model.load_state(tensors, path);
  r.loaded = static_cast<int64_t>(tensors.size());
  model.weights_path_ = path;
  model.weights_sha256_ = io::sha256_file(path);
  log::debug("{}: AutoencoderKL {} ({} layout, prefix '{}', config {}): {} tensors loaded, {} skipped, {} outside",
             path, config.preset, r.layout, r.prefix, r.config_source, r.loaded, r.skipped, r.outside);
  if (report) *report = r;
  return model;
}

void AutoencoderKL::save(const std::string& path) const {
  save_model_safetensors(path, state_arrays(), kConfigMetadataKey, config_.to_json_string());
}

}  // namespace latentlab::models
