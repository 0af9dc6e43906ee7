// The DINOv2 ViT forward (see the header).
#include "models/dinov2.h"

#include <algorithm>
#include <map>

#include <ATen/ATen.h>

#include "core/error.h"
#include "models/dinov2_blocks.h"

namespace latentlab::models {

DinoV2::DinoV2(const DinoV2Config& config) : config_(config) {
  config_.validate("DINOv2 config");
  const int64_t d = config_.embed_dim;
  // Random until loaded, like vision_transformer.py's init (pos 0.02, cls 1e-6, mask zero).
  cls_token_ = register_parameter("cls_token", at::randn({1, 1, d}) * 1e-6);
  pos_embed_ = register_parameter("pos_embed", at::randn({1, config_.pos_grid * config_.pos_grid + 1, d}) * 0.02);
  if (config_.num_register_tokens > 0)
    register_tokens_ = register_parameter("register_tokens", at::randn({1, config_.num_register_tokens, d}) * 1e-6);
  mask_token_ = register_parameter("mask_token", at::zeros({1, d}));  // unused at inference; in the state dict
  auto patch_embed = std::make_shared<torch::nn::Module>();
  auto proj = std::make_shared<torch::nn::Module>();
  const int64_t p = config_.patch_size;
  proj_weight_ = proj->register_parameter("weight", at::randn({d, 3, p, p}) * 0.02);
  proj_bias_ = proj->register_parameter("bias", at::zeros({d}));
  patch_embed->register_module("proj", proj);
  register_module("patch_embed", patch_embed);
  // blocks.N.* (the hub's block_chunks=0 layout; chunked checkpoints are renamed by the loader).
  auto blocks = std::make_shared<torch::nn::Module>();
  for (int64_t i = 0; i < config_.depth; ++i)
    blocks_.push_back(blocks->register_module(std::to_string(i), std::make_shared<dinov2::Block>(config_)));
  register_module("blocks", blocks);
  norm_ = register_module("norm", std::make_shared<dinov2::LayerNorm>(d, 1e-6));
}

DinoV2::~DinoV2() = default;

int64_t DinoV2::parameter_count() const {
  int64_t count = 0;
  for (const auto& p : parameters()) count += p.numel();
  return count;
}

at::Tensor DinoV2::position_embedding(int64_t grid_h, int64_t grid_w) const {
  const int64_t m = config_.pos_grid, d = config_.embed_dim;
  if (grid_h * grid_w == m * m && grid_h == grid_w) return pos_embed_;  // dinov2: npatch == N and w == h
  const at::Tensor pos = pos_embed_.to(at::kFloat);
  const at::Tensor grid = pos.narrow(1, 1, m * m).reshape({1, m, m, d}).permute({0, 3, 1, 2});
  at::Tensor resampled;
  if (config_.interpolate_offset > 0.0) {
    // F.interpolate(scale_factor=(sx, sy)): output floor(m·s), source coordinates (dst + 0.5)/s − 0.5.
    const std::vector<double> scales = {(static_cast<double>(grid_h) + config_.interpolate_offset) / m,
                                        (static_cast<double>(grid_w) + config_.interpolate_offset) / m};
    resampled = config_.interpolate_antialias
                    ? at::_upsample_bicubic2d_aa(grid, c10::nullopt, false, at::ArrayRef<double>(scales))
                    : at::upsample_bicubic2d(grid, c10::nullopt, false, at::ArrayRef<double>(scales));
  } else {
    const std::vector<int64_t> size = {grid_h, grid_w};
    resampled = config_.interpolate_antialias ? at::_upsample_bicubic2d_aa(grid, at::IntArrayRef(size), false)
                                              : at::upsample_bicubic2d(grid, at::IntArrayRef(size), false);
  }
  LATENTLAB_ASSERT(resampled.size(2) == grid_h && resampled.size(3) == grid_w,
                   "position grid resampled to {}x{}, wanted {}x{}", resampled.size(2), resampled.size(3), grid_h,
                   grid_w);
  const at::Tensor patches = resampled.permute({0, 2, 3, 1}).reshape({1, grid_h * grid_w, d});
  return at::cat({pos.narrow(1, 0, 1), patches}, 1).to(pos_embed_.scalar_type());
}

DinoV2Outputs DinoV2::forward(const at::Tensor& x, const std::vector<int64_t>& blocks) const {
  const int64_t p = config_.patch_size;
  if (x.dim() != 4 || x.size(1) != 3 || x.size(2) < p || x.size(3) < p || x.size(2) % p != 0 || x.size(3) % p != 0)
    fail("images", "DINOv2 needs (B, 3, H, W) with H and W positive multiples of {}, got {}", p,
         io::shape_string(x.sizes().vec()));
  for (const int64_t b : blocks)
    if (b < 0 || b >= config_.depth) fail("blocks", "block index {} is outside [0, {})", b, config_.depth);
  const int64_t grid_h = x.size(2) / p, grid_w = x.size(3) / p;
  // Patch embedding: (B, D, h, w) -> (B, h·w, D).
  const at::Tensor patches = at::conv2d(x, proj_weight_, proj_bias_, {p, p}).flatten(2).transpose(1, 2);
  at::Tensor tokens = at::cat({cls_token_.expand({x.size(0), -1, -1}), patches}, 1);
  tokens = tokens + position_embedding(grid_h, grid_w);
  const int64_t r = config_.num_register_tokens;
  if (r > 0)
    tokens = at::cat(
        {tokens.narrow(1, 0, 1), register_tokens_.expand({x.size(0), -1, -1}), tokens.narrow(1, 1, grid_h * grid_w)},
        1);
  DinoV2Outputs out;
  std::map<int64_t, at::Tensor> taken;  // block index -> normed tokens, handed out in the order asked for
  for (int64_t i = 0; i < config_.depth; ++i) {
    tokens = blocks_[static_cast<size_t>(i)]->forward(tokens);
    if (std::find(blocks.begin(), blocks.end(), i) != blocks.end()) taken[i] = norm_->forward(tokens);
  }
  for (const int64_t b : blocks) out.intermediate.push_back(taken.at(b));
  const at::Tensor normed = norm_->forward(tokens);
  out.cls = normed.select(1, 0);
  out.register_tokens = normed.narrow(1, 1, r);
  out.patch_tokens = normed.narrow(1, 1 + r, grid_h * grid_w);
  return out;
}

}  // namespace latentlab::models
