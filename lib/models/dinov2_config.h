// The architecture of a DINOv2 ViT (facebookresearch/dinov2, Apache-2.0, `dinov2/models/vision_transformer.py`
// and `dinov2/hub/backbones.py`), its named presets and how it is read from a state dict's shapes.
//
// Presets (all patch 14, learned position embeddings for the 518² pretraining grid of 37×37 patches, LayerScale,
// qkv/proj/ffn biases, LayerNorm eps 1e-6; head width 64):
//   vits14   384-d, 12 blocks,  6 heads, MLP 1536 (GELU)          22,056,576 parameters
//   vitb14   768-d, 12 blocks, 12 heads, MLP 3072 (GELU)          86,580,480
//   vitl14  1024-d, 24 blocks, 16 heads, MLP 4096 (GELU)         304,368,640
//   vitg14  1536-d, 40 blocks, 24 heads, SwiGLU-fused 4096       1,136,480,768
//   *_reg4  the same with 4 register tokens; these interpolate the position embeddings with antialias and
//           without the 0.1 offset (hub `dinov2_*_reg`: interpolate_antialias=True, interpolate_offset=0.0)
// (counts include mask_token, as the published state dicts do; tests/reference checks them against PyTorch.)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "io/array.h"

namespace latentlab::models {

enum class DinoV2Ffn { Mlp, SwiGLU };  // Mlp: fc1 → GELU (erf) → fc2; SwiGLU: w12 → silu(x1)·x2 → w3

struct DinoV2Config {
  std::string preset = "custom";  // the preset this equals, or "custom"; informational only
  int64_t embed_dim = 1024;
  int64_t depth = 24;
  int64_t num_heads = 16;
  int64_t patch_size = 14;
  int64_t pos_grid = 37;      // side of the pretraining patch grid the pos_embed holds (518 / 14)
  int64_t ffn_hidden = 4096;  // fc1 outputs (Mlp) or the SwiGLU hidden width (w3 inputs)
  DinoV2Ffn ffn = DinoV2Ffn::Mlp;
  int64_t num_register_tokens = 0;
  bool layerscale = true;              // ls1.gamma / ls2.gamma (hub init_values=1.0)
  bool interpolate_antialias = false;  // bicubic pos-embed resampling with antialias (the reg4 models)
  double interpolate_offset = 0.1;     // added to the target grid before the scale factor; 0 = exact size

  int64_t head_dim() const { return embed_dim / num_heads; }
  // Closed form of the parameter count (what DinoV2::parameter_count() gives, without building the model).
  int64_t parameter_count() const;
  // Throws a UserError naming `subject` for a config no network can be built from.
  void validate(const std::string& subject) const;

  static const std::vector<std::string>& preset_names();  // vits14, vitb14, vitl14, vitg14, then *_reg4
  // Throws a usage UserError naming `subject` and the known presets for an unknown name.
  static DinoV2Config preset_config(const std::string& name, const std::string& subject = "--preset");
  // Sets `preset` to the preset with this architecture, else "custom".
  void name_preset();

  nlohmann::json to_json() const;

  // The architecture from the shapes of a state dict in the published layout (keys already normalised by
  // dinov2_weights.h: blocks.N.*). Widths, depth, grid, FFN kind and register tokens come from the shapes;
  // the head count is not in the weights: `num_heads` > 0 sets it, 0 takes the preset of the same width
  // (head width 64). Throws a UserError naming `subject` and the missing or malformed tensor.
  static DinoV2Config from_weights(const io::NamedArrays& tensors, int64_t num_heads, const std::string& subject);
};

bool same_architecture(const DinoV2Config& a, const DinoV2Config& b);

}  // namespace latentlab::models
