// DINOv2 ViT-S/B/L/g-14 (facebookresearch/dinov2, Apache-2.0, `DinoVisionTransformer` as the torch.hub
// backbones build it): the feature extractor of FD-DINOv2 (metrics/features/dinov2_extractor.h) and the
// alignment teacher of Send-VAE / REPA. Architecture and presets: models/dinov2_config.h; blocks:
// models/dinov2_blocks.h; weights (the published .pth and safetensors): models/dinov2_weights.h.
//
// Forward, for x (B, 3, H, W) float32, ImageNet-normalised, H and W multiples of the patch (14):
//   tokens = patch_embed(x)                    conv 14×14 stride 14 → (B, N, D), N = (H/14)·(W/14), row-major
//   tokens = [cls ; tokens] + pos(H/14, W/14)  learned pos_embed of the 37×37 pretraining grid, resampled
//   tokens = [t_0 ; registers ; t_1..N]        the *_reg4 models only (registers get no position)
//   blocks, then the final LayerNorm (eps 1e-6)
// Position resampling (interpolate_pos_encoding): none when N equals the grid and H == W; otherwise the grid
// (1, D, 37, 37) is resampled bicubically (A = −0.75, align_corners False) to (H/14, W/14). With the 0.1 offset
// (the non-register models) PyTorch is called with scale_factor = ((H/14 + 0.1)/37, (W/14 + 0.1)/37): the
// output size is floor(37·scale), and the kernel maps coordinates with 1/scale, not 37/(H/14) — a small
// difference this reproduces by passing the same scale factors to ATen. The *_reg4 models ask for the exact
// size with antialias=True. LibTorch 1.13 has bicubic antialias (`_upsample_bicubic2d_aa`, since 1.11) and
// takes the same scale arguments, so both paths run on either LibTorch.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include "models/dinov2_config.h"

namespace latentlab::models {

namespace dinov2 {
class Block;
class LayerNorm;
}  // namespace dinov2

struct DinoV2Outputs {
  at::Tensor cls;              // (B, D): x_norm_clstoken, the CLS token after the final norm (FD-DINOv2)
  at::Tensor patch_tokens;     // (B, N, D): x_norm_patchtokens, row-major over the (H/14, W/14) grid (teacher)
  at::Tensor register_tokens;  // (B, R, D) after the final norm; (B, 0, D) without registers
  // For each index asked for, the full token sequence (B, 1 + R + N, D) after that block (0-based), passed
  // through the final norm as get_intermediate_layers(norm=True) does.
  std::vector<at::Tensor> intermediate;
};

class DinoV2 : public torch::nn::Module {
 public:
  // Random weights until weights are loaded. Throws UserError for an invalid config.
  explicit DinoV2(const DinoV2Config& config);
  ~DinoV2() override;

  const DinoV2Config& config() const { return config_; }
  int64_t parameter_count() const;

  // x: (B, 3, H, W) float32 on the module's device. Throws UserError naming "images" unless H and W are
  // positive multiples of the patch size. `blocks` lists block indices for `intermediate` (each in
  // [0, depth), else a UserError naming "blocks").
  DinoV2Outputs forward(const at::Tensor& x, const std::vector<int64_t>& blocks = {}) const;

  // pos_embed resampled to a (grid_h, grid_w) patch grid: (1, 1 + grid_h·grid_w, D), CLS position first.
  at::Tensor position_embedding(int64_t grid_h, int64_t grid_w) const;

 private:
  DinoV2Config config_;
  at::Tensor cls_token_, pos_embed_, mask_token_, register_tokens_;
  at::Tensor proj_weight_, proj_bias_;
  std::vector<std::shared_ptr<dinov2::Block>> blocks_;
  std::shared_ptr<dinov2::LayerNorm> norm_;
};

}  // namespace latentlab::models
