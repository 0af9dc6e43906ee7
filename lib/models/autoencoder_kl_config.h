// The architecture of a latent-diffusion AutoencoderKL (CompVis/latent-diffusion `ddconfig` + `embed_dim`),
// its named presets, and its JSON form. The JSON keys are LDM's ddconfig keys, so a config can be copied from
// an LDM/VA-VAE YAML file:
//
//   {"preset": "f8d4", "ch": 128, "ch_mult": [1, 2, 4, 4], "num_res_blocks": 2, "attn_resolutions": [],
//    "dropout": 0.0, "resolution": 256, "in_channels": 3, "out_ch": 3, "z_channels": 4, "embed_dim": 4,
//    "double_z": true}
//
// Presets (image side `resolution`; latent = embed_dim × resolution/f × resolution/f):
//   f8d4        ch 128, mult 1,2,4,4,   2 res blocks, z 4,  no level attention, 256²  (LDM kl-f8, SD-VAE)
//   f16d16      ch 128, mult 1,1,2,2,4, 2 res blocks, z 16, attention at 16,   256²  (LDM kl-f16)
//   f16d32      ch 128, mult 1,1,2,2,4, 2 res blocks, z 32, attention at 16,   256²  (VA-VAE, REPA-E E2E-VAE,
//                                                                                     Send-VAE)
//   tiny-f4d4   ch 32,  mult 1,2,2,     1 res block,  z 4,  attention at 16,   32²   (unit tests; 1.0 M params)
//   small-f8d8  ch 64,  mult 1,1,2,2,   1 res block,  z 8,  attention at 8,    64²   (CPU demos; 4.3 M params)
// Every preset has the mid-block attention, as LDM's vanilla AutoencoderKL always does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "io/array.h"

namespace latentlab::models {

struct AutoencoderKLConfig {
  std::string preset = "custom";  // the preset this equals, or "custom"; informational only
  int64_t ch = 128;
  std::vector<int64_t> ch_mult = {1, 2, 4, 4};
  int64_t num_res_blocks = 2;
  // Image sides (at `resolution`) whose encoder/decoder level gets an attention block after each res block.
  std::vector<int64_t> attn_resolutions;
  double dropout = 0.0;
  int64_t resolution = 256;  // the image side the attention levels refer to; any multiple of f runs
  int64_t in_channels = 3;
  int64_t out_channels = 3;  // JSON "out_ch"
  int64_t z_channels = 4;
  int64_t embed_dim = 4;
  bool double_z = true;  // the encoder emits mean and log-variance; AutoencoderKL requires it

  // f = 2^(levels - 1): images H×W give latents H/f×W/f.
  int64_t downsampling_factor() const;
  int64_t levels() const { return static_cast<int64_t>(ch_mult.size()); }
  // Whether encoder level `level` (0 = full resolution) has attention blocks; the decoder's level of the same
  // index works at the same resolution and matches.
  bool level_has_attention(int64_t level) const;

  // Throws a UserError naming `subject` for a config no network can be built from (a non-positive size,
  // widths not divisible by GroupNorm's 32 groups, double_z false, …).
  void validate(const std::string& subject) const;

  // Names and configs of the presets above, in that order.
  static const std::vector<std::string>& preset_names();
  // Throws a UserError naming `name` and the known presets when it is not one.
  static AutoencoderKLConfig preset_config(const std::string& name);
  // Sets `preset` to the first preset whose architecture equals this one, else "custom".
  void name_preset();

  nlohmann::json to_json() const;
  // Strict: unknown keys and wrong types are UserErrors naming `subject` and the key; missing keys take the
  // defaults of a named "preset" when present, else of f8d4. The result is validated.
  static AutoencoderKLConfig from_json(const nlohmann::json& json, const std::string& subject);
  std::string to_json_string() const;
  static AutoencoderKLConfig from_json_string(const std::string& text, const std::string& subject);

  // The architecture read from the tensor shapes of an LDM-named state dict (STYLE.md: infer from the
  // weights): ch, ch_mult, num_res_blocks, z_channels, embed_dim, in/out channels and which levels have
  // attention. `resolution` is not in the weights; attention levels are expressed at it. Throws a UserError
  // naming `subject` and the tensor that is missing or has an unexpected shape.
  static AutoencoderKLConfig from_weights(const io::NamedArrays& tensors, int64_t resolution,
                                          const std::string& subject);
};

bool same_architecture(const AutoencoderKLConfig& a, const AutoencoderKLConfig& b);

}  // namespace latentlab::models
