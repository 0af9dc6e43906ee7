#include "models/autoencoder_kl_net.h"

#include <string>

#include <ATen/ATen.h>
#include <torch/nn/modules/container/modulelist.h>

#include "nn/group_norm.h"
#include "nn/norm_in_float32.h"

namespace latentlab::models {
namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel).padding(kernel / 2));
}

}  // namespace

AutoencoderKLMidImpl::AutoencoderKLMidImpl(int64_t channels, double dropout) {
  block_1_ = register_module("block_1", nn::ResnetBlock(channels, channels, dropout));
  attn_1_ = register_module("attn_1", nn::SpatialSelfAttention(channels));
  block_2_ = register_module("block_2", nn::ResnetBlock(channels, channels, dropout));
}

at::Tensor AutoencoderKLMidImpl::forward(const at::Tensor& x) {
  return block_2_->forward(attn_1_->forward(block_1_->forward(x)));
}

AutoencoderKLLevelImpl::AutoencoderKLLevelImpl(int64_t in_channels, int64_t out_channels, int64_t blocks,
                                               bool attention, double dropout, const char* resample) {
  torch::nn::ModuleList block_list, attn_list;
  for (int64_t i = 0; i < blocks; ++i) {
    blocks_.push_back(nn::ResnetBlock(i == 0 ? in_channels : out_channels, out_channels, dropout));
    block_list->push_back(blocks_.back());
    if (attention) {
      attention_.push_back(nn::SpatialSelfAttention(out_channels));
      attn_list->push_back(attention_.back());
    }
  }
  register_module("block", block_list);
  register_module("attn", attn_list);
  const std::string kind = resample;
  if (kind == "downsample") downsample_ = register_module("downsample", nn::Downsample(out_channels));
  if (kind == "upsample") upsample_ = register_module("upsample", nn::Upsample(out_channels));
}

at::Tensor AutoencoderKLLevelImpl::forward(at::Tensor x) {
  for (size_t i = 0; i < blocks_.size(); ++i) {
    x = blocks_[i]->forward(x);
    if (!attention_.empty()) x = attention_[i]->forward(x);
  }
  if (downsample_) x = downsample_->forward(x);
  if (upsample_) x = upsample_->forward(x);
  return x;
}

AutoencoderKLEncoderImpl::AutoencoderKLEncoderImpl(const AutoencoderKLConfig& c) {
  conv_in_ = register_module("conv_in", conv(c.in_channels, c.ch, 3));
  torch::nn::ModuleList down;
  int64_t width = c.ch;
  for (int64_t level = 0; level < c.levels(); ++level) {
    const int64_t out = c.ch * c.ch_mult[level];
    const bool last = level == c.levels() - 1;
    down_.push_back(AutoencoderKLLevel(width, out, c.num_res_blocks, c.level_has_attention(level), c.dropout,
                                       last ? "" : "downsample"));
    down->push_back(down_.back());
    width = out;
  }
  register_module("down", down);
  mid_ = register_module("mid", AutoencoderKLMid(width, c.dropout));
  norm_out_ = register_module("norm_out", nn::group_norm_32(width));
  conv_out_ = register_module("conv_out", conv(width, c.double_z ? 2 * c.z_channels : c.z_channels, 3));
}

at::Tensor AutoencoderKLEncoderImpl::forward(const at::Tensor& x) {
  at::Tensor h = conv_in_->forward(x);
  for (auto& level : down_) h = level->forward(h);
  h = mid_->forward(h);
  return conv_out_->forward(at::silu(nn::norm_in_float32(norm_out_, h)));
}

AutoencoderKLDecoderImpl::AutoencoderKLDecoderImpl(const AutoencoderKLConfig& c) {
  int64_t width = c.ch * c.ch_mult.back();
  conv_in_ = register_module("conv_in", conv(c.z_channels, width, 3));
  mid_ = register_module("mid", AutoencoderKLMid(width, c.dropout));
  // Built from the last level down, as the data flows; registered in level order, as LDM stores them.
  up_.resize(c.ch_mult.size(), AutoencoderKLLevel(nullptr));
  for (int64_t level = c.levels() - 1; level >= 0; --level) {
    const int64_t out = c.ch * c.ch_mult[level];
    up_[level] = AutoencoderKLLevel(width, out, c.num_res_blocks + 1, c.level_has_attention(level), c.dropout,
                                    level == 0 ? "" : "upsample");
    width = out;
  }
  torch::nn::ModuleList up;
  for (auto& level : up_) up->push_back(level);
  register_module("up", up);
  norm_out_ = register_module("norm_out", nn::group_norm_32(width));
  conv_out_ = register_module("conv_out", conv(width, c.out_channels, 3));
}

at::Tensor AutoencoderKLDecoderImpl::forward(const at::Tensor& z) {
  at::Tensor h = mid_->forward(conv_in_->forward(z));
  for (auto level = up_.rbegin(); level != up_.rend(); ++level) h = (*level)->forward(h);
  return conv_out_->forward(at::silu(nn::norm_in_float32(norm_out_, h)));
}

AutoencoderKLNet::AutoencoderKLNet(const AutoencoderKLConfig& c) {
  encoder = register_module("encoder", AutoencoderKLEncoder(c));
  decoder = register_module("decoder", AutoencoderKLDecoder(c));
  quant_conv = register_module("quant_conv", conv(2 * c.z_channels, 2 * c.embed_dim, 1));
  post_quant_conv = register_module("post_quant_conv", conv(c.embed_dim, c.z_channels, 1));
}

at::Tensor AutoencoderKLNet::encode_moments(const at::Tensor& images) {
  return quant_conv->forward(encoder->forward(images));
}

at::Tensor AutoencoderKLNet::decode(const at::Tensor& z) {
  return decoder->forward(post_quant_conv->forward(z));
}

}  // namespace latentlab::models
