// The torch module tree of AutoencoderKL, laid out exactly as CompVis/latent-diffusion (MIT licence)
// ldm/models/autoencoder.py `AutoencoderKL` and ldm/modules/diffusionmodules/model.py `Encoder`/`Decoder`,
// so that named_parameters() gives LDM's state-dict names:
//
//   encoder.conv_in                       3×3, in_channels -> ch
//   encoder.down.<l>.block.<i>            ResnetBlock, i < num_res_blocks; width ch·ch_mult[l]
//   encoder.down.<l>.attn.<i>             SpatialSelfAttention after block i, where level l has attention
//   encoder.down.<l>.downsample.conv      every level but the last
//   encoder.mid.{block_1, attn_1, block_2}
//   encoder.norm_out, encoder.conv_out    GroupNorm, swish, 3×3 -> 2·z_channels (mean ‖ logvar)
//   decoder.conv_in                       3×3, z_channels -> ch·ch_mult[-1]
//   decoder.mid.{block_1, attn_1, block_2}
//   decoder.up.<l>.block.<i>              i < num_res_blocks + 1; width ch·ch_mult[l]
//   decoder.up.<l>.attn.<i>
//   decoder.up.<l>.upsample.conv          every level but 0
//   decoder.norm_out, decoder.conv_out    -> out_channels
//   quant_conv                            1×1, 2·z_channels -> 2·embed_dim
//   post_quant_conv                       1×1, embed_dim -> z_channels
//
// The decoder's `up` list is indexed by level like the encoder's `down` (up.0 works at full resolution) but
// runs from the last level to level 0; LDM builds it reversed and stores it in level order.
// Most code wants models/autoencoder_kl.h instead, which keeps these headers out of its includes.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "models/autoencoder_kl_config.h"
#include "nn/downsample.h"
#include "nn/resnet_block.h"
#include "nn/spatial_attention.h"
#include "nn/upsample.h"

namespace latentlab::models {

// The mid block shared by encoder and decoder: ResnetBlock, attention, ResnetBlock at constant width.
class AutoencoderKLMidImpl : public torch::nn::Module {
 public:
  AutoencoderKLMidImpl(int64_t channels, double dropout);
  at::Tensor forward(const at::Tensor& x);

 private:
  nn::ResnetBlock block_1_{nullptr};
  nn::SpatialSelfAttention attn_1_{nullptr};
  nn::ResnetBlock block_2_{nullptr};
};
TORCH_MODULE(AutoencoderKLMid);

// One resolution level: res blocks, each optionally followed by attention, then an optional resampler.
class AutoencoderKLLevelImpl : public torch::nn::Module {
 public:
  // `blocks` ResnetBlocks in_channels -> out_channels -> …; `resample` is "downsample", "upsample" or "".
  AutoencoderKLLevelImpl(int64_t in_channels, int64_t out_channels, int64_t blocks, bool attention, double dropout,
                         const char* resample);
  at::Tensor forward(at::Tensor x);

 private:
  std::vector<nn::ResnetBlock> blocks_;
  std::vector<nn::SpatialSelfAttention> attention_;
  nn::Downsample downsample_{nullptr};
  nn::Upsample upsample_{nullptr};
};
TORCH_MODULE(AutoencoderKLLevel);

class AutoencoderKLEncoderImpl : public torch::nn::Module {
 public:
  explicit AutoencoderKLEncoderImpl(const AutoencoderKLConfig& config);
  // x: N×in_channels×H×W -> N×2·z_channels×H/f×W/f.
  at::Tensor forward(const at::Tensor& x);

 private:
  torch::nn::Conv2d conv_in_{nullptr};
  std::vector<AutoencoderKLLevel> down_;
  AutoencoderKLMid mid_{nullptr};
  torch::nn::GroupNorm norm_out_{nullptr};
  torch::nn::Conv2d conv_out_{nullptr};
};
TORCH_MODULE(AutoencoderKLEncoder);

class AutoencoderKLDecoderImpl : public torch::nn::Module {
 public:
  explicit AutoencoderKLDecoderImpl(const AutoencoderKLConfig& config);
  // z: N×z_channels×h×w -> N×out_channels×h·f×w·f.
  at::Tensor forward(const at::Tensor& z);

 private:
  torch::nn::Conv2d conv_in_{nullptr};
  AutoencoderKLMid mid_{nullptr};
  std::vector<AutoencoderKLLevel> up_;  // by level; run from the last to 0
  torch::nn::GroupNorm norm_out_{nullptr};
  torch::nn::Conv2d conv_out_{nullptr};
};
TORCH_MODULE(AutoencoderKLDecoder);

class AutoencoderKLNet : public torch::nn::Module {
 public:
  explicit AutoencoderKLNet(const AutoencoderKLConfig& config);

  // images N×in_channels×H×W -> moments N×2·embed_dim×H/f×W/f (mean ‖ unclamped logvar).
  at::Tensor encode_moments(const at::Tensor& images);
  // z N×embed_dim×h×w -> images N×out_channels×h·f×w·f.
  at::Tensor decode(const at::Tensor& z);

  AutoencoderKLEncoder encoder{nullptr};
  AutoencoderKLDecoder decoder{nullptr};
  torch::nn::Conv2d quant_conv{nullptr};
  torch::nn::Conv2d post_quant_conv{nullptr};
};

}  // namespace latentlab::models
