#include "models/sit_config.h"

#include <functional>
#include <map>
#include <regex>
#include <set>

#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "models/preset_names.h"

namespace latentlab::models {
namespace {

// A size family: what the weights cannot tell (heads, REPA depth) for a given depth and width.
struct Family {
  const char* name;
  int64_t depth, hidden, heads, encoder_depth;
};

constexpr Family kFamilies[] = {
    {"S", 12, 384, 6, 4}, {"B", 12, 768, 12, 4}, {"L", 24, 1024, 16, 8}, {"XL", 28, 1152, 16, 8}};

SiTConfig family_config(const Family& f, int64_t patch) {
  SiTConfig c;
  c.preset = fmt::format("SiT-{}/{}", f.name, patch);
  c.depth = f.depth;
  c.hidden_size = f.hidden;
  c.num_heads = f.heads;
  c.encoder_depth = f.encoder_depth;
  c.patch_size = patch;
  c.input_size = patch == 1 ? 16 : 32;  // f16d32 latents for /1, f8d4 latents otherwise (PAPER.md §9)
  c.in_channels = patch == 1 ? 32 : 4;
  return c;
}

SiTConfig tiny_config(int64_t patch) {
  SiTConfig c;
  c.preset = fmt::format("SiT-tiny/{}", patch);
  c.patch_size = patch;
  c.hidden_size = 64;
  c.num_heads = 4;
  c.depth = patch == 1 ? 2 : 4;
  c.input_size = patch == 1 ? 8 : 16;
  c.in_channels = patch == 1 ? 4 : 8;
  c.num_classes = 10;
  c.encoder_depth = patch == 1 ? 1 : 2;
  c.z_dims = {48};
  c.projector_dim = 128;
  return c;
}

const std::vector<SiTConfig>& sit_presets() {
  static const std::vector<SiTConfig> list = [] {
    std::vector<SiTConfig> out;
    for (const Family& f : kFamilies)
      for (int64_t patch : {1, 2, 4}) out.push_back(family_config(f, patch));
    out.push_back(tiny_config(1));
    out.push_back(tiny_config(2));
    return out;
  }();
  return list;
}

// The first preset for which `match` holds, or null.
template <typename Match>
const SiTConfig* find_preset(Match match) {
  for (const auto& c : sit_presets())
    if (match(c)) return &c;
  return nullptr;
}

// JSON readers that name the key; `what` is how the expected type reads in the message.
struct Reader {
  const std::string& subject;
  const std::string& key;
  const nlohmann::json& value;

  [[noreturn]] void wrong(const char* what) const {
    fail(subject, "key '{}': expected {}, got {}", key, what, value.dump());
  }
  int64_t integer() const {
    if (!value.is_number_integer()) wrong("an integer");
    return value.get<int64_t>();
  }
  double number() const {
    if (!value.is_number()) wrong("a number");
    return value.get<double>();
  }
  bool boolean() const {
    if (!value.is_boolean()) wrong("true or false");
    return value.get<bool>();
  }
  std::vector<int64_t> integers() const {
    if (!value.is_array()) wrong("a list of integers");
    std::vector<int64_t> out;
    for (const auto& item : value) {
      if (!item.is_number_integer()) wrong("a list of integers");
      out.push_back(item.get<int64_t>());
    }
    return out;
  }
};

using Setter = std::function<void(SiTConfig&, const Reader&)>;

const std::map<std::string, Setter>& setters() {
  static const std::map<std::string, Setter> table = {
      {"input_size", [](SiTConfig& c, const Reader& r) { c.input_size = r.integer(); }},
      {"patch_size", [](SiTConfig& c, const Reader& r) { c.patch_size = r.integer(); }},
      {"in_channels", [](SiTConfig& c, const Reader& r) { c.in_channels = r.integer(); }},
      {"hidden_size", [](SiTConfig& c, const Reader& r) { c.hidden_size = r.integer(); }},
      {"depth", [](SiTConfig& c, const Reader& r) { c.depth = r.integer(); }},
      {"num_heads", [](SiTConfig& c, const Reader& r) { c.num_heads = r.integer(); }},
      {"mlp_ratio", [](SiTConfig& c, const Reader& r) { c.mlp_ratio = r.number(); }},
      {"num_classes", [](SiTConfig& c, const Reader& r) { c.num_classes = r.integer(); }},
      {"class_dropout_prob", [](SiTConfig& c, const Reader& r) { c.class_dropout_prob = r.number(); }},
      {"learn_sigma", [](SiTConfig& c, const Reader& r) { c.learn_sigma = r.boolean(); }},
      {"encoder_depth", [](SiTConfig& c, const Reader& r) { c.encoder_depth = r.integer(); }},
      {"z_dims", [](SiTConfig& c, const Reader& r) { c.z_dims = r.integers(); }},
      {"projector_dim", [](SiTConfig& c, const Reader& r) { c.projector_dim = r.integer(); }},
  };
  return table;
}

}  // namespace

void SiTConfig::validate(const std::string& subject) const {
  auto positive = [&](const char* key, int64_t v, int64_t most) {
    if (v < 1 || v > most) fail(subject, "{} must be in 1..{}, got {}", key, most, v);
  };
  positive("input_size", input_size, 1 << 12);
  positive("patch_size", patch_size, 64);
  positive("in_channels", in_channels, 1 << 12);
  positive("hidden_size", hidden_size, 1 << 15);
  positive("depth", depth, 256);
  positive("num_heads", num_heads, 1 << 10);
  positive("num_classes", num_classes, 1 << 24);
  if (input_size % patch_size != 0)
    fail(subject, "input_size {} is not a multiple of patch_size {}", input_size, patch_size);
  if (hidden_size % num_heads != 0)
    fail(subject, "hidden_size {} is not divisible by num_heads {}", hidden_size, num_heads);
  if (hidden_size % 4 != 0)
    fail(subject, "hidden_size {} must be a multiple of 4 (the 2-D sin-cos position embedding)", hidden_size);
  if (!(mlp_ratio > 0.0 && mlp_ratio <= 64.0)) fail(subject, "mlp_ratio must be in (0, 64], got {}", mlp_ratio);
  if (mlp_hidden() < 1) fail(subject, "hidden_size × mlp_ratio must be >= 1");
  if (!(class_dropout_prob >= 0.0 && class_dropout_prob < 1.0))
    fail(subject, "class_dropout_prob must be in [0, 1), got {}", class_dropout_prob);
  if (z_dims.size() > 16) fail(subject, "at most 16 projectors (z_dims), got {}", z_dims.size());
  for (int64_t z : z_dims) positive("every z_dims entry", z, 1 << 16);
  if (!z_dims.empty()) {
    positive("projector_dim", projector_dim, 1 << 16);
    if (encoder_depth < 1 || encoder_depth > depth)
      fail(subject, "encoder_depth must be in 1..depth = {} when there are projectors, got {}", depth, encoder_depth);
  }
}

int64_t SiTConfig::parameter_count(bool include_projectors) const {
  auto linear = [](int64_t in, int64_t out) { return in * out + out; };
  const int64_t d = hidden_size, patch_outputs = patch_size * patch_size * out_channels();
  const int64_t block =
      linear(d, 3 * d) + linear(d, d) + linear(d, mlp_hidden()) + linear(mlp_hidden(), d) + linear(d, 6 * d);
  int64_t n = in_channels * patch_size * patch_size * d + d                   // x_embedder.proj
              + linear(256, d) + linear(d, d)                                 // t_embedder (256 frequencies)
              + (num_classes + 1) * d                                         // y_embedder, null row included
              + depth * block + linear(d, 2 * d) + linear(d, patch_outputs);  // blocks, final layer
  if (include_projectors)
    for (int64_t z : z_dims)
      n += linear(d, projector_dim) + linear(projector_dim, projector_dim) + linear(projector_dim, z);
  return n;
}

const std::vector<std::string>& SiTConfig::preset_names() {
  static const std::vector<std::string> names =
      preset_names_of(sit_presets(), [](const auto& preset) { return preset.preset; });
  return names;
}

SiTConfig SiTConfig::preset_config(const std::string& name) {
  if (const SiTConfig* c = find_preset([&](const SiTConfig& p) { return p.preset == name; })) return *c;
  fail(name, "unknown SiT preset (known: {})", fmt::join(preset_names(), ", "));
}

void SiTConfig::name_preset() {
  const SiTConfig* c = find_preset([&](const SiTConfig& p) { return same_architecture(*this, p); });
  preset = c ? c->preset : "custom";
}

bool same_architecture(const SiTConfig& a, const SiTConfig& b) {
  return a.input_size == b.input_size && a.patch_size == b.patch_size && a.in_channels == b.in_channels &&
         a.hidden_size == b.hidden_size && a.depth == b.depth && a.num_heads == b.num_heads &&
         a.mlp_ratio == b.mlp_ratio && a.num_classes == b.num_classes && a.class_dropout_prob == b.class_dropout_prob &&
         a.learn_sigma == b.learn_sigma && a.encoder_depth == b.encoder_depth && a.z_dims == b.z_dims &&
         a.projector_dim == b.projector_dim;
}

nlohmann::json SiTConfig::to_json() const {
  return {{"preset", preset},           {"input_size", input_size},
          {"patch_size", patch_size},   {"in_channels", in_channels},
          {"hidden_size", hidden_size}, {"depth", depth},
          {"num_heads", num_heads},     {"mlp_ratio", mlp_ratio},
          {"num_classes", num_classes}, {"class_dropout_prob", class_dropout_prob},
          {"learn_sigma", learn_sigma}, {"encoder_depth", encoder_depth},
          {"z_dims", z_dims},           {"projector_dim", projector_dim}};
}

SiTConfig SiTConfig::from_json(const nlohmann::json& json, const std::string& subject) {
  if (!json.is_object()) fail(subject, "a SiT config must be a JSON object, got {}", json.dump());
  SiTConfig c = preset_config("SiT-XL/2");
  if (json.contains("preset")) {
    if (!json["preset"].is_string()) fail(subject, "key 'preset': expected a string, got {}", json["preset"].dump());
    const std::string name = json["preset"].get<std::string>();
    if (name != "custom") c = preset_config(name);
  }
  for (const auto& [key, value] : json.items()) {
    if (key == "preset") continue;
    auto it = setters().find(key);
    if (it == setters().end()) {
      std::vector<std::string> known = {"preset"};
      for (const auto& [name, setter] : setters()) known.push_back(name);
      fail(subject, "unknown SiT config key '{}' (known: {})", key, fmt::join(known, ", "));
    }
    it->second(c, Reader{subject, key, value});
  }
  c.validate(subject);
  c.name_preset();  // a preset with overrides becomes "custom"
  return c;
}

std::string SiTConfig::to_json_string() const {
  return to_json().dump();
}

SiTConfig SiTConfig::from_json_string(const std::string& text, const std::string& subject) {
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) fail(subject, "SiT config is not valid JSON");
  return from_json(json, subject);
}

SiTConfig SiTConfig::from_weights(const io::NamedArrays& tensors, int64_t input_size, int64_t encoder_depth,
                                  const std::string& subject) {
  std::map<std::string, const io::Array*> by_name;
  for (const auto& [name, array] : tensors) by_name.emplace(name, &array);
  auto shape = [&](const std::string& name, size_t rank) -> const io::Shape& {
    auto it = by_name.find(name);
    if (it == by_name.end()) fail(subject, "no tensor '{}' (not a SiT/REPA state dict?)", name);
    if (it->second->shape.size() != rank)
      fail(subject, "tensor '{}' has shape {}, expected {} dimensions", name, io::shape_string(it->second->shape),
           rank);
    return it->second->shape;
  };
  SiTConfig c;
  const io::Shape& proj = shape("x_embedder.proj.weight", 4);  // D × C × p × p
  c.hidden_size = proj[0];
  c.in_channels = proj[1];
  c.patch_size = proj[2];
  if (proj[3] != c.patch_size)
    fail(subject, "tensor 'x_embedder.proj.weight' has a non-square kernel {}", io::shape_string(proj));
  // Blocks and projectors from the names: blocks.<i>. and projectors.<j>.
  static const std::regex indexed(R"(^(blocks|projectors)\.(\d+)\.)");
  std::set<int64_t> blocks, projectors;
  for (const auto& [name, array] : tensors) {
    std::smatch m;
    if (!std::regex_search(name, m, indexed)) continue;
    if (m[2].length() > 4) fail(subject, "tensor '{}': implausible index", name);
    (m[1] == "blocks" ? blocks : projectors).insert(std::stoll(m[2].str()));
  }
  if (blocks.empty()) fail(subject, "no tensors named blocks.<i>.* (not a SiT state dict?)");
  c.depth = static_cast<int64_t>(blocks.size());
  if (*blocks.rbegin() != c.depth - 1) fail(subject, "blocks are not numbered 0..{}", c.depth - 1);
  const int64_t fc1 = shape("blocks.0.mlp.fc1.weight", 2)[0];
  c.mlp_ratio = static_cast<double>(fc1) / static_cast<double>(c.hidden_size);
  c.num_classes = shape("y_embedder.embedding_table.weight", 2)[0] - 1;
  const int64_t out = shape("final_layer.linear.weight", 2)[0];
  const int64_t per_channel = c.patch_size * c.patch_size * c.in_channels;
  if (out != per_channel && out != 2 * per_channel)
    fail(subject, "final_layer.linear.weight has {} rows, expected p²·C = {} or 2·p²·C (learn_sigma)", out,
         per_channel);
  c.learn_sigma = out == 2 * per_channel;
  c.z_dims.clear();
  for (int64_t j = 0; j < static_cast<int64_t>(projectors.size()); ++j) {
    const std::string prefix = "projectors." + std::to_string(j) + ".";
    c.projector_dim = shape(prefix + "0.weight", 2)[0];
    c.z_dims.push_back(shape(prefix + "4.weight", 2)[0]);
  }
  c.input_size = input_size;
  if (by_name.count("pos_embed")) {
    const int64_t tokens = shape("pos_embed", 3)[1];
    int64_t side = 0;
    while ((side + 1) * (side + 1) <= tokens) ++side;
    if (side * side != tokens) fail(subject, "pos_embed has {} tokens, not a square grid", tokens);
    c.input_size = side * c.patch_size;
  }
  bool known = false;
  for (const Family& f : kFamilies)
    if (f.depth == c.depth && f.hidden == c.hidden_size) {
      c.num_heads = f.heads;
      c.encoder_depth = f.encoder_depth;
      known = true;
    }
  if (!known && c.hidden_size == 64) {  // the tiny presets
    c.num_heads = 4;
    c.encoder_depth = c.depth == 2 ? 1 : 2;
    known = true;
  }
  if (!known)
    fail(subject,
         "depth {} and hidden size {} match no SiT size (S, B, L, XL, tiny): the head count is not in the "
         "weights; give a config",
         c.depth, c.hidden_size);
  if (encoder_depth > 0) c.encoder_depth = encoder_depth;
  c.validate(subject);
  c.name_preset();
  return c;
}

}  // namespace latentlab::models
