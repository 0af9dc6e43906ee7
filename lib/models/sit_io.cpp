// SiT::load and ::save: finding the SiT inside a REPA/REPA-E/SiT checkpoint or a safetensors file (prefix,
// config) and writing safetensors with the config in the metadata. The file formats live in lib/io.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "io/pth.h"
#include "io/safetensors.h"
#include "io/sha256.h"
#include "io/tensor_convert.h"
#include "io/weights.h"
#include "models/module_state.h"
#include "models/sit.h"

namespace latentlab::models {
namespace {

constexpr const char* kSiTAnchor = "x_embedder.proj.weight";
// REPA-E's latent BatchNorm, kept with the SiT's state dict but not part of its forward pass.
constexpr const char* kBatchNorm = "bn.";

// A weights file's tensors by full dotted name; .pth tensors are read only when chosen (a REPA checkpoint
// also holds the other of model/ema and the optimiser state, three times the model's size).
class TensorSource {
 public:
  TensorSource(const std::string& path, io::WeightsFormat format) {
    if (format == io::WeightsFormat::PthZip || format == io::WeightsFormat::PthLegacy) {
      pth_ = std::make_unique<io::PthFile>(path);
      for (const io::PthItem& item : io::flatten(pth_->root(), path))
        if (item.value->is(io::PickleValue::Kind::Tensor)) {
          names_.push_back(item.name);
          leaves_.push_back(item.value);
        }
    } else if (format == io::WeightsFormat::Safetensors) {
      io::SafetensorsFile file = io::read_safetensors(path);
      metadata_ = std::move(file.metadata);
      for (auto& [name, array] : file.arrays) {
        names_.push_back(name);
        arrays_.push_back(std::move(array));
      }
    } else {
      fail(path, "SiT weights must be a .pt/.pth state dict or safetensors, not {}", io::format_name(format));
    }
  }
  const std::vector<std::string>& names() const { return names_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  io::Array read(size_t i) const { return pth_ ? pth_->read(*leaves_[i]->tensor, names_[i]) : arrays_[i]; }

 private:
  std::vector<std::string> names_;
  std::unique_ptr<io::PthFile> pth_;
  std::vector<const io::PickleValue*> leaves_;
  std::vector<io::Array> arrays_;
  std::map<std::string, std::string> metadata_;
};

// The prefix (with its trailing dot) whose "<prefix>x_embedder.proj.weight" exists: EMA weights first, as
// REPA's and REPA-E's samplers load them, then the shortest.
std::string find_sit_prefix(const std::vector<std::string>& names, const std::string& requested,
                            const std::string& path) {
  if (requested != "auto") return requested.empty() ? "" : requested + ".";
  const std::string anchor = kSiTAnchor;
  std::vector<std::string> found;
  for (const std::string& name : names)
    if (name.size() >= anchor.size() && name.compare(name.size() - anchor.size(), anchor.size(), anchor) == 0) {
      const std::string prefix = name.substr(0, name.size() - anchor.size());
      if (prefix.empty() || prefix.back() == '.') found.push_back(prefix);
    }
  if (found.empty()) {
    std::string first;
    for (size_t i = 0; i < names.size() && i < 5; ++i) first += (i ? ", " : "") + names[i];
    fail(path, "no SiT in this file: no tensor named [<prefix>.]{} among its {} tensors (first: {})", kSiTAnchor,
         names.size(), first.empty() ? "none" : first);
  }
  std::stable_sort(found.begin(), found.end(), [](const std::string& a, const std::string& b) {
    const bool ema_a = starts_with(a, "ema."), ema_b = starts_with(b, "ema.");
    return ema_a != ema_b ? ema_a : a.size() < b.size();
  });
  if (found.size() > 1)
    log::info("{}: {} SiT state dicts found; using prefix '{}' (pass a prefix to choose another)", path, found.size(),
              found.front());
  return found.front();
}

}  // namespace

SiT SiT::load(const std::string& path, const SiTLoadOptions& options, SiTLoadReport* report) {
  SiTLoadReport r;
  const io::WeightsFormat format = io::detect_weights_format(path);
  r.format = io::format_name(format);
  const TensorSource source(path, format);
  const std::string prefix = find_sit_prefix(source.names(), options.prefix, path);
  r.prefix = prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1);

  io::NamedArrays tensors;
  for (size_t i = 0; i < source.names().size(); ++i) {
    const std::string& full = source.names()[i];
    if (!starts_with(full, prefix)) {
      ++r.outside;
      continue;
    }
    std::string name = full.substr(prefix.size());
    if (starts_with(name, kBatchNorm)) {
      ++r.skipped;
      const std::string stat = name.substr(std::char_traits<char>::length(kBatchNorm));
      if (stat == "running_mean" || stat == "running_var") {
        at::Tensor value = io::to_tensor(source.read(i)).to(at::kFloat).flatten().clone();
        (stat == "running_mean" ? r.bn_running_mean : r.bn_running_var) = value;
      }
      continue;
    }
    tensors.emplace_back(std::move(name), source.read(i));
  }
  if (tensors.empty()) fail(path, "no tensors under the prefix '{}'", r.prefix);

  SiTConfig config;
  if (options.config) {
    config = *options.config;
    r.config_source = "options";
  } else if (auto it = source.metadata().find(kConfigMetadataKey); it != source.metadata().end()) {
    config = SiTConfig::from_json_string(it->second, path + " (metadata " + kConfigMetadataKey + ")");
    r.config_source = "metadata";
  } else {
    config = SiTConfig::from_weights(tensors, options.input_size, options.encoder_depth, path);
    r.config_source = "inferred";
  }
  config.validate(path);

  SiT model(config);
  model.load_state(tensors, path);
  r.loaded = static_cast<int64_t>(tensors.size());
  model.weights_path_ = path;
  model.weights_sha256_ = io::sha256_file(path);
  log::debug("{}: SiT {} (prefix '{}', config {}): {} tensors loaded, {} skipped, {} outside", path, config.preset,
             r.prefix, r.config_source, r.loaded, r.skipped, r.outside);
  if (report) *report = r;
  return model;
}

void SiT::save(const std::string& path) const {
  save_model_safetensors(path, state_arrays(), kConfigMetadataKey, config_.to_json_string());
}

}  // namespace latentlab::models
