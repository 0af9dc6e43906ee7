// Weights of a DINOv2 ViT: the published torch.hub state dicts (`dinov2_vits14_pretrain.pth`,
// `dinov2_vitb14_pretrain.pth`, `dinov2_vitl14_pretrain.pth`, `dinov2_vitg14_pretrain.pth` and the
// `*_reg4_pretrain.pth` ones) or any file io::load_weights reads with the same names (a safetensors
// conversion, a zip .pth, a .pth nesting the state dict under state_dict/model/…).
//
// Layout (DinoVisionTransformer with block_chunks=0, as torch.hub builds it):
//   cls_token (1, 1, D), pos_embed (1, 1 + 37², D), mask_token (1, D), [register_tokens (1, R, D)],
//   patch_embed.proj.{weight (D, 3, 14, 14), bias (D)},
//   blocks.N.norm1.{weight,bias}, blocks.N.attn.qkv.{weight (3D, D),bias}, blocks.N.attn.proj.{weight,bias},
//   blocks.N.ls1.gamma (D), blocks.N.norm2.*, blocks.N.mlp.fc1.* / fc2.* (or mlp.w12.* / w3.* for ViT-g),
//   blocks.N.ls2.gamma, norm.{weight,bias}.
// Training checkpoints built with block_chunks > 0 name blocks `blocks.C.N.*` (chunk C, global index N, the
// chunk padded with Identity); those are renamed to blocks.N.* on load. A DINOv2 training checkpoint's
// `teacher.backbone.` / `student.backbone.` / `backbone.` prefix is stripped (teacher preferred). Any other
// tensor is an error, as is a missing one, a wrong shape or a non-float dtype.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "io/array.h"
#include "models/dinov2_config.h"

namespace latentlab::models {

class DinoV2;

struct DinoV2WeightsInfo {
  std::string path;
  std::string format;   // io::format_name: "pth-legacy", "pth-zip", "safetensors", …
  std::string sha256;   // of the whole file (lower-case hex), computed once per file per process
  std::string renamed;  // "" or what the loader renamed ("chunked blocks", "prefix teacher.backbone.")
  DinoV2Config config;  // inferred from the shapes
};

struct DinoV2LoadOptions {
  int64_t num_heads = 0;      // 0: from the preset of the same width (all published models: width / 64)
  std::string expect_preset;  // "" accepts any architecture; else a UserError unless the weights are it
};

// Published names -> the model's names: chunked blocks and checkpoint prefixes as described above.
// `renamed` (optional) receives what was done. Errors name `subject`.
io::NamedArrays normalize_dinov2_names(const io::NamedArrays& arrays, const std::string& subject,
                                       std::string* renamed = nullptr);

// Reads `path`, infers the architecture, builds the model on the CPU in eval mode and copies the weights.
// Throws UserError naming `path` and the key for a missing, unexpected, misshapen or non-float tensor.
std::shared_ptr<DinoV2> load_dinov2(const std::string& path, const DinoV2LoadOptions& options = {},
                                    DinoV2WeightsInfo* info = nullptr);

// Copies `arrays` (already normalised) into `model`, strictly; on error the model is left unchanged.
void load_dinov2_state(DinoV2& model, const io::NamedArrays& arrays, const std::string& subject);

// The model's tensors as float32 arrays in the published layout (for conversions and tests).
io::NamedArrays dinov2_state(const DinoV2& model);

}  // namespace latentlab::models
