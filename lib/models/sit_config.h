// The architecture of a SiT (Ma et al. 2024, willisma/SiT `models.py`) with REPA's projector heads
// (Yu et al. 2025, sihyun-yu/REPA `models/sit.py`), its named presets and its JSON form:
//
//   {"preset": "SiT-XL/2", "input_size": 32, "patch_size": 2, "in_channels": 4, "hidden_size": 1152,
//    "depth": 28, "num_heads": 16, "mlp_ratio": 4.0, "num_classes": 1000, "class_dropout_prob": 0.1,
//    "learn_sigma": false, "encoder_depth": 8, "z_dims": [768], "projector_dim": 2048}
//
// Presets (depth / hidden / heads / REPA encoder_depth, each with patch 1, 2 and 4 as "SiT-<size>/<p>"):
//   S 12 / 384 / 6 / 4,  B 12 / 768 / 12 / 4,  L 24 / 1024 / 16 / 8,  XL 28 / 1152 / 16 / 8
// Their latent defaults follow PAPER.md §9: patch 1 reads f16d32 latents (32×16×16), patches 2 and 4 read
// f8d4 latents (4×32×32); 1000 classes, REPA projector to DINOv2-B (z_dims [768], hidden 2048).
// REPA sets encoder_depth 8 for XL and 4 for B (sihyun-yu/REPA#5); 4 for S and 8 for L are toolkit defaults.
//   SiT-tiny/1  depth 2, hidden 64, heads 4, 4×8×8 latents, 10 classes, encoder_depth 1, z_dims [48],
//               projector hidden 128 (unit tests)
//   SiT-tiny/2  depth 4, hidden 64, heads 4, 8×16×16 latents, 10 classes, encoder_depth 2, z_dims [48],
//               projector hidden 128 (CPU demos)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "io/array.h"

namespace latentlab::models {

struct SiTConfig {
  std::string preset = "custom";  // the preset this equals, or "custom"; informational only
  int64_t input_size = 32;        // latent side (square), a multiple of patch_size
  int64_t patch_size = 2;
  int64_t in_channels = 4;
  int64_t hidden_size = 1152;
  int64_t depth = 28;
  int64_t num_heads = 16;
  double mlp_ratio = 4.0;
  int64_t num_classes = 1000;           // the label table has num_classes + 1 rows: the last is the null class
  double class_dropout_prob = 0.1;      // training-time label dropout (SiT::forward with a generator)
  bool learn_sigma = false;             // SiT/DiT's 2·C output (the second half is dropped); REPA: false
  int64_t encoder_depth = 8;            // the projectors read the tokens after this many blocks (1-based)
  std::vector<int64_t> z_dims = {768};  // one REPA projector per target encoder; empty = no projector
  int64_t projector_dim = 2048;

  int64_t grid_size() const { return input_size / patch_size; }  // tokens per side
  int64_t tokens() const { return grid_size() * grid_size(); }
  int64_t out_channels() const { return learn_sigma ? 2 * in_channels : in_channels; }  // of the final linear
  int64_t mlp_hidden() const { return static_cast<int64_t>(static_cast<double>(hidden_size) * mlp_ratio); }
  // Trainable parameters of the network this config builds (pos_embed is fixed and not counted), computed
  // from the layer list without building it; SiT::parameter_count() counts the built module.
  int64_t parameter_count(bool include_projectors = true) const;

  // Throws a UserError naming `subject` for a config no network can be built from (non-positive sizes,
  // hidden_size not divisible by num_heads or with an odd half for the 2-D position embedding, input_size
  // not a multiple of patch_size, encoder_depth outside 1..depth while there are projectors, …).
  void validate(const std::string& subject) const;

  // Names of the presets above: SiT-S/1, SiT-S/2, SiT-S/4, SiT-B/1, …, SiT-XL/4, SiT-tiny/1, SiT-tiny/2.
  static const std::vector<std::string>& preset_names();
  // Throws a UserError naming `name` and the known presets when it is not one.
  static SiTConfig preset_config(const std::string& name);
  // Sets `preset` to the first preset whose architecture equals this one, else "custom".
  void name_preset();

  nlohmann::json to_json() const;
  // Strict: unknown keys and wrong types are UserErrors naming `subject` and the key; missing keys take the
  // defaults of a named "preset" when present, else of SiT-XL/2. The result is validated.
  static SiTConfig from_json(const nlohmann::json& json, const std::string& subject);
  std::string to_json_string() const;
  static SiTConfig from_json_string(const std::string& text, const std::string& subject);

  // The architecture read from the tensor shapes of a SiT/REPA state dict (names as in models/sit_net.h):
  // patch size, channels, hidden size, depth, mlp ratio, classes, learn_sigma, projector widths, and the
  // input size from pos_embed (else `input_size`). The head count and encoder_depth are not in the weights:
  // they come from the size family with this depth and hidden size (S, B, L, XL, tiny), and
  // encoder_depth = `encoder_depth` when that is > 0. Throws a UserError naming `subject` and the tensor
  // when one is missing or misshapen, or when no size family matches (then a config must be given).
  static SiTConfig from_weights(const io::NamedArrays& tensors, int64_t input_size, int64_t encoder_depth,
                                const std::string& subject);
};

bool same_architecture(const SiTConfig& a, const SiTConfig& b);

}  // namespace latentlab::models
