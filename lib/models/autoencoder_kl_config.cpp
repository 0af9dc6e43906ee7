#include "models/autoencoder_kl_config.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "models/preset_names.h"

namespace latentlab::models {
namespace {

using Config = AutoencoderKLConfig;

Config make(const char* name, int64_t ch, std::vector<int64_t> mult, int64_t blocks, std::vector<int64_t> attn,
            int64_t resolution, int64_t z) {
  Config c;
  c.preset = name;
  c.ch = ch;
  c.ch_mult = std::move(mult);
  c.num_res_blocks = blocks;
  c.attn_resolutions = std::move(attn);
  c.resolution = resolution;
  c.z_channels = z;
  c.embed_dim = z;
  return c;
}

const std::vector<Config>& autoencoder_kl_presets() {
  static const std::vector<Config> list = {
      make("f8d4", 128, {1, 2, 4, 4}, 2, {}, 256, 4),          // LDM kl-f8, SD-VAE
      make("f16d16", 128, {1, 1, 2, 2, 4}, 2, {16}, 256, 16),  // LDM kl-f16
      make("f16d32", 128, {1, 1, 2, 2, 4}, 2, {16}, 256, 32),  // VA-VAE, REPA-E E2E-VAE, Send-VAE
      make("tiny-f4d4", 32, {1, 2, 2}, 1, {16}, 32, 4),        // unit tests
      make("small-f8d8", 64, {1, 1, 2, 2}, 1, {8}, 64, 8),     // CPU demos
  };
  return list;
}

// The levels that have attention blocks (what attn_resolutions selects at `resolution`); entries that match
// no level are ignored, as LDM ignores them.
std::set<int64_t> attention_levels(const Config& c) {
  std::set<int64_t> levels;
  for (int64_t level = 0; level < c.levels(); ++level)
    if (c.level_has_attention(level)) levels.insert(level);
  return levels;
}

int64_t get_int(const nlohmann::json& value, const std::string& key, const std::string& subject) {
  if (!value.is_number_integer()) fail(subject, "key '{}': expected an integer, got {}", key, value.dump());
  return value.get<int64_t>();
}

std::vector<int64_t> get_ints(const nlohmann::json& value, const std::string& key, const std::string& subject) {
  if (!value.is_array()) fail(subject, "key '{}': expected a list of integers, got {}", key, value.dump());
  std::vector<int64_t> out;
  for (const auto& item : value) out.push_back(get_int(item, key, subject));
  return out;
}

const io::Array& find(const io::NamedArrays& tensors, const std::string& name, size_t rank,
                      const std::string& subject) {
  for (const auto& [key, array] : tensors)
    if (key == name) {
      if (array.shape.size() != rank)
        fail(subject, "tensor '{}' has shape {}, expected {} dimensions", name, io::shape_string(array.shape), rank);
      return array;
    }
  fail(subject, "no tensor '{}' (not an AutoencoderKL state dict with LDM names?)", name);
}

}  // namespace

int64_t AutoencoderKLConfig::downsampling_factor() const {
  return int64_t{1} << (levels() - 1);
}

bool AutoencoderKLConfig::level_has_attention(int64_t level) const {
  const int64_t side = resolution >> level;
  return std::find(attn_resolutions.begin(), attn_resolutions.end(), side) != attn_resolutions.end();
}

void AutoencoderKLConfig::validate(const std::string& subject) const {
  auto positive = [&](const char* key, int64_t v) {
    if (v < 1) fail(subject, "{} must be >= 1, got {}", key, v);
  };
  positive("ch", ch);
  positive("num_res_blocks", num_res_blocks);
  positive("resolution", resolution);
  positive("in_channels", in_channels);
  positive("out_ch", out_channels);
  positive("z_channels", z_channels);
  positive("embed_dim", embed_dim);
  if (ch_mult.empty() || ch_mult.size() > 8) fail(subject, "ch_mult must have 1 to 8 entries, got {}", ch_mult.size());
  for (int64_t m : ch_mult) {
    positive("every ch_mult entry", m);
    if ((ch * m) % 32 != 0)
      fail(subject, "ch × ch_mult = {} × {} is not a multiple of 32 (GroupNorm uses 32 groups)", ch, m);
  }
  if (ch > (int64_t{1} << 16) || num_res_blocks > 64 || resolution > (int64_t{1} << 16))
    fail(subject, "implausibly large config (ch {}, num_res_blocks {}, resolution {})", ch, num_res_blocks, resolution);
  if (!(dropout >= 0.0 && dropout < 1.0)) fail(subject, "dropout must be in [0, 1), got {}", dropout);
  if (!double_z) fail(subject, "double_z must be true: AutoencoderKL needs the encoder's mean and log-variance");
}

const std::vector<std::string>& AutoencoderKLConfig::preset_names() {
  static const std::vector<std::string> names =
      preset_names_of(autoencoder_kl_presets(), [](const auto& preset) { return preset.preset; });
  return names;
}

AutoencoderKLConfig AutoencoderKLConfig::preset_config(const std::string& name) {
  for (const auto& c : autoencoder_kl_presets())
    if (c.preset == name) return c;
  fail(name, "unknown AutoencoderKL preset (known: {})", fmt::join(preset_names(), ", "));
}

void AutoencoderKLConfig::name_preset() {
  preset = "custom";
  for (const auto& c : autoencoder_kl_presets())
    if (same_architecture(*this, c)) {
      preset = c.preset;
      return;
    }
}

bool same_architecture(const AutoencoderKLConfig& a, const AutoencoderKLConfig& b) {
  return a.ch == b.ch && a.ch_mult == b.ch_mult && a.num_res_blocks == b.num_res_blocks &&
         attention_levels(a) == attention_levels(b) && a.dropout == b.dropout && a.resolution == b.resolution &&
         a.in_channels == b.in_channels && a.out_channels == b.out_channels && a.z_channels == b.z_channels &&
         a.embed_dim == b.embed_dim && a.double_z == b.double_z;
}

nlohmann::json AutoencoderKLConfig::to_json() const {
  return {{"preset", preset},
          {"ch", ch},
          {"ch_mult", ch_mult},
          {"num_res_blocks", num_res_blocks},
          {"attn_resolutions", attn_resolutions},
          {"dropout", dropout},
          {"resolution", resolution},
          {"in_channels", in_channels},
          {"out_ch", out_channels},
          {"z_channels", z_channels},
          {"embed_dim", embed_dim},
          {"double_z", double_z}};
}

AutoencoderKLConfig AutoencoderKLConfig::from_json(const nlohmann::json& json, const std::string& subject) {
  if (!json.is_object()) fail(subject, "an AutoencoderKL config must be a JSON object, got {}", json.dump());
  Config c = preset_config("f8d4");
  c.preset = "custom";
  if (json.contains("preset")) {
    if (!json["preset"].is_string()) fail(subject, "key 'preset': expected a string, got {}", json["preset"].dump());
    const std::string name = json["preset"].get<std::string>();
    if (name != "custom") c = preset_config(name);
  }
  for (const auto& [key, value] : json.items()) {
    if (key == "preset") continue;
    if (key == "ch")
      c.ch = get_int(value, key, subject);
    else if (key == "ch_mult")
      c.ch_mult = get_ints(value, key, subject);
    else if (key == "num_res_blocks")
      c.num_res_blocks = get_int(value, key, subject);
    else if (key == "attn_resolutions")
      c.attn_resolutions = get_ints(value, key, subject);
    else if (key == "dropout") {
      if (!value.is_number()) fail(subject, "key 'dropout': expected a number, got {}", value.dump());
      c.dropout = value.get<double>();
    } else if (key == "resolution")
      c.resolution = get_int(value, key, subject);
    else if (key == "in_channels")
      c.in_channels = get_int(value, key, subject);
    else if (key == "out_ch")
      c.out_channels = get_int(value, key, subject);
    else if (key == "z_channels")
      c.z_channels = get_int(value, key, subject);
    else if (key == "embed_dim")
      c.embed_dim = get_int(value, key, subject);
    else if (key == "double_z") {
      if (!value.is_boolean()) fail(subject, "key 'double_z': expected true or false, got {}", value.dump());
      c.double_z = value.get<bool>();
    } else
      fail(subject,
           "unknown AutoencoderKL config key '{}' (known: preset, ch, ch_mult, num_res_blocks, attn_resolutions, "
           "dropout, resolution, in_channels, out_ch, z_channels, embed_dim, double_z)",
           key);
  }
  c.validate(subject);
  c.name_preset();  // a preset with overrides becomes "custom"
  return c;
}

std::string AutoencoderKLConfig::to_json_string() const {
  return to_json().dump();
}

AutoencoderKLConfig AutoencoderKLConfig::from_json_string(const std::string& text, const std::string& subject) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail(subject, "AutoencoderKL config is not valid JSON ({})", e.what());
  }
  return from_json(json, subject);
}

AutoencoderKLConfig AutoencoderKLConfig::from_weights(const io::NamedArrays& tensors, int64_t resolution,
                                                      const std::string& subject) {
  Config c;
  c.resolution = resolution;
  const io::Array& conv_in = find(tensors, "encoder.conv_in.weight", 4, subject);
  c.ch = conv_in.shape[0];
  c.in_channels = conv_in.shape[1];
  // Levels, res blocks and attention from the names: encoder.down.<level>.block.<i>. / .attn.<i>.
  static const std::regex down(R"(^encoder\.down\.(\d+)\.(block|attn)\.(\d+)\.)");
  std::map<int64_t, int64_t> blocks;
  std::set<int64_t> attention;
  for (const auto& [name, array] : tensors) {
    std::smatch m;
    if (!std::regex_search(name, m, down)) continue;
    const int64_t level = std::stoll(m[1].str()), index = std::stoll(m[3].str());
    if (level > 16 || index > 256) fail(subject, "tensor '{}': implausible level or block index", name);
    if (m[2] == "block") blocks[level] = std::max(blocks[level], index + 1);
    if (m[2] == "attn") attention.insert(level);
  }
  if (blocks.empty()) fail(subject, "no tensors named encoder.down.<level>.block.<i>.* (not an LDM AutoencoderKL?)");
  const auto levels = static_cast<int64_t>(blocks.size());
  if (blocks.rbegin()->first != levels - 1) fail(subject, "encoder.down levels are not numbered 0..{}", levels - 1);
  c.num_res_blocks = blocks.at(0);
  c.ch_mult.clear();
  for (int64_t level = 0; level < levels; ++level) {
    const std::string name = "encoder.down." + std::to_string(level) + ".block.0.conv1.weight";
    const int64_t width = find(tensors, name, 4, subject).shape[0];
    if (width % c.ch != 0)
      fail(subject, "tensor '{}': {} output channels is not a multiple of ch = {}", name, width, c.ch);
    c.ch_mult.push_back(width / c.ch);
  }
  c.attn_resolutions.clear();
  for (int64_t level : attention) {
    if ((resolution >> level) << level != resolution)
      fail(subject, "attention at level {} cannot be expressed at resolution {}", level, resolution);
    c.attn_resolutions.push_back(resolution >> level);
  }
  const io::Array& decoder_in = find(tensors, "decoder.conv_in.weight", 4, subject);
  c.z_channels = decoder_in.shape[1];
  c.double_z = find(tensors, "encoder.conv_out.weight", 4, subject).shape[0] == 2 * c.z_channels;
  c.embed_dim = find(tensors, "post_quant_conv.weight", 4, subject).shape[1];
  c.out_channels = find(tensors, "decoder.conv_out.weight", 4, subject).shape[0];
  c.validate(subject);
  c.name_preset();
  return c;
}

}  // namespace latentlab::models
