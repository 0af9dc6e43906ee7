// DINOv2 presets and the architecture read from a state dict (see the header).
#include "models/dinov2_config.h"

#include <cmath>

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "models/preset_names.h"

namespace latentlab::models {
namespace {

struct Preset {
  const char* name;
  int64_t embed_dim, depth, num_heads, ffn_hidden;
  DinoV2Ffn ffn;
  int64_t registers;
};

// dinov2/hub/backbones.py: vit_small/base/large/giant2 at img_size 518, patch 14, init_values 1.0; giant2
// with ffn_layer "swiglufused", whose hidden width is (int(4·1536·2/3) + 7) // 8 · 8 = 4096.
const std::vector<Preset>& dinov2_presets() {
  static const std::vector<Preset> list = {
      {"vits14", 384, 12, 6, 1536, DinoV2Ffn::Mlp, 0},        {"vitb14", 768, 12, 12, 3072, DinoV2Ffn::Mlp, 0},
      {"vitl14", 1024, 24, 16, 4096, DinoV2Ffn::Mlp, 0},      {"vitg14", 1536, 40, 24, 4096, DinoV2Ffn::SwiGLU, 0},
      {"vits14_reg4", 384, 12, 6, 1536, DinoV2Ffn::Mlp, 4},   {"vitb14_reg4", 768, 12, 12, 3072, DinoV2Ffn::Mlp, 4},
      {"vitl14_reg4", 1024, 24, 16, 4096, DinoV2Ffn::Mlp, 4}, {"vitg14_reg4", 1536, 40, 24, 4096, DinoV2Ffn::SwiGLU, 4},
  };
  return list;
}

DinoV2Config from_preset(const Preset& p) {
  DinoV2Config c;
  c.preset = p.name;
  c.embed_dim = p.embed_dim;
  c.depth = p.depth;
  c.num_heads = p.num_heads;
  c.ffn_hidden = p.ffn_hidden;
  c.ffn = p.ffn;
  c.num_register_tokens = p.registers;
  // The hub's *_reg models are built with interpolate_antialias=True, interpolate_offset=0.0.
  c.interpolate_antialias = p.registers > 0;
  c.interpolate_offset = p.registers > 0 ? 0.0 : 0.1;
  return c;
}

const io::Array& tensor(const io::NamedArrays& tensors, const std::string& name, size_t rank,
                        const std::string& subject) {
  for (const auto& [key, array] : tensors) {
    if (key != name) continue;
    if (array.shape.size() != rank)
      fail(subject, "tensor '{}' has shape {}, expected {} dimensions", name, io::shape_string(array.shape), rank);
    return array;
  }
  fail(subject, "missing tensor '{}': not a DINOv2 state dict (keys cls_token, pos_embed, blocks.N.*)", name);
}

bool has(const io::NamedArrays& tensors, const std::string& name) {
  for (const auto& [key, array] : tensors)
    if (key == name) return true;
  return false;
}

}  // namespace

void DinoV2Config::validate(const std::string& subject) const {
  if (embed_dim < 1 || depth < 1 || num_heads < 1 || patch_size < 1 || pos_grid < 1 || ffn_hidden < 1 ||
      num_register_tokens < 0)
    fail(subject, "DINOv2 config with a non-positive size (embed {}, depth {}, heads {}, patch {}, grid {})", embed_dim,
         depth, num_heads, patch_size, pos_grid);
  if (embed_dim % num_heads != 0) fail(subject, "embed_dim {} is not divisible by num_heads {}", embed_dim, num_heads);
  if (!(interpolate_offset >= 0.0 && interpolate_offset < 1.0))
    fail(subject, "interpolate_offset must be in [0, 1), got {}", interpolate_offset);
}

int64_t DinoV2Config::parameter_count() const {
  const int64_t d = embed_dim;
  const int64_t tokens = d * (1 + (pos_grid * pos_grid + 1) + 1 + num_register_tokens);  // cls, pos, mask, regs
  const int64_t patch = d * 3 * patch_size * patch_size + d;
  const int64_t ffn_in = ffn == DinoV2Ffn::Mlp ? ffn_hidden : 2 * ffn_hidden;  // fc1 or w12 outputs
  const int64_t block = 4 * d                                                  // norm1, norm2
                        + (3 * d * d + 3 * d) + (d * d + d)                    // qkv, proj
                        + (d * ffn_in + ffn_in) + (ffn_hidden * d + d)         // fc1/w12, fc2/w3
                        + (layerscale ? 2 * d : 0);
  return tokens + patch + depth * block + 2 * d;  // + final norm
}

const std::vector<std::string>& DinoV2Config::preset_names() {
  static const std::vector<std::string> names =
      preset_names_of(dinov2_presets(), [](const auto& preset) { return preset.name; });
  return names;
}

DinoV2Config DinoV2Config::preset_config(const std::string& name, const std::string& subject) {
  for (const auto& p : dinov2_presets())
    if (name == p.name) return from_preset(p);
  fail_usage(subject, "unknown DINOv2 preset '{}' (known: {})", name, fmt::join(preset_names(), ", "));
}

void DinoV2Config::name_preset() {
  preset = "custom";
  for (const auto& p : dinov2_presets()) {
    if (same_architecture(*this, from_preset(p))) {
      preset = p.name;
      return;
    }
  }
}

nlohmann::json DinoV2Config::to_json() const {
  return {{"preset", preset},
          {"embed_dim", embed_dim},
          {"depth", depth},
          {"num_heads", num_heads},
          {"patch_size", patch_size},
          {"pos_grid", pos_grid},
          {"ffn", ffn == DinoV2Ffn::Mlp ? "mlp" : "swiglufused"},
          {"ffn_hidden", ffn_hidden},
          {"num_register_tokens", num_register_tokens},
          {"layerscale", layerscale},
          {"interpolate_antialias", interpolate_antialias},
          {"interpolate_offset", interpolate_offset}};
}

DinoV2Config DinoV2Config::from_weights(const io::NamedArrays& tensors, int64_t num_heads, const std::string& subject) {
  DinoV2Config c;
  c.embed_dim = tensor(tensors, "cls_token", 3, subject).shape[2];
  const auto& proj = tensor(tensors, "patch_embed.proj.weight", 4, subject).shape;  // (D, 3, p, p)
  if (proj[0] != c.embed_dim || proj[1] != 3 || proj[2] != proj[3])
    fail(subject, "tensor 'patch_embed.proj.weight' has shape {}, expected ({}, 3, p, p)", io::shape_string(proj),
         c.embed_dim);
  c.patch_size = proj[2];
  const auto& pos = tensor(tensors, "pos_embed", 3, subject).shape;  // (1, 1 + g², D)
  c.pos_grid = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(pos[1] - 1))));
  if (pos[0] != 1 || pos[2] != c.embed_dim || c.pos_grid * c.pos_grid + 1 != pos[1])
    fail(subject, "tensor 'pos_embed' has shape {}, expected (1, 1 + g², {}) for a square grid g",
         io::shape_string(pos), c.embed_dim);
  c.depth = 0;
  while (has(tensors, fmt::format("blocks.{}.norm1.weight", c.depth))) ++c.depth;
  if (c.depth == 0) fail(subject, "missing tensor 'blocks.0.norm1.weight': a DINOv2 state dict has blocks.N.*");
  if (has(tensors, "blocks.0.mlp.w12.weight")) {
    c.ffn = DinoV2Ffn::SwiGLU;
    c.ffn_hidden = tensor(tensors, "blocks.0.mlp.w3.weight", 2, subject).shape[1];
  } else {
    c.ffn = DinoV2Ffn::Mlp;
    c.ffn_hidden = tensor(tensors, "blocks.0.mlp.fc1.weight", 2, subject).shape[0];
  }
  c.layerscale = has(tensors, "blocks.0.ls1.gamma");
  c.num_register_tokens = has(tensors, "register_tokens") ? tensor(tensors, "register_tokens", 3, subject).shape[1] : 0;
  c.interpolate_antialias = c.num_register_tokens > 0;
  c.interpolate_offset = c.num_register_tokens > 0 ? 0.0 : 0.1;
  if (num_heads > 0) {
    c.num_heads = num_heads;
  } else {
    c.num_heads = 0;
    for (const auto& p : dinov2_presets())
      if (p.embed_dim == c.embed_dim) c.num_heads = p.num_heads;
    if (c.num_heads == 0)
      fail(subject, "embed_dim {} matches no DINOv2 preset, so the head count must be given", c.embed_dim);
  }
  c.validate(subject);
  c.name_preset();
  return c;
}

bool same_architecture(const DinoV2Config& a, const DinoV2Config& b) {
  return a.embed_dim == b.embed_dim && a.depth == b.depth && a.num_heads == b.num_heads &&
         a.patch_size == b.patch_size && a.pos_grid == b.pos_grid && a.ffn_hidden == b.ffn_hidden && a.ffn == b.ffn &&
         a.num_register_tokens == b.num_register_tokens && a.layerscale == b.layerscale &&
         a.interpolate_antialias == b.interpolate_antialias && a.interpolate_offset == b.interpolate_offset;
}

}  // namespace latentlab::models
