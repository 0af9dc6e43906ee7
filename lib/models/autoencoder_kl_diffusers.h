// diffusers' AutoencoderKL state-dict names (huggingface/diffusers, Apache-2.0, models/autoencoders/vae.py and
// scripts/convert_vae_pt_to_diffusers.py, read for the naming only) mapped to LDM's (models/autoencoder_kl_net.h):
//
//   diffusers                                             LDM
//   {encoder,decoder}.conv_norm_out.*                     {encoder,decoder}.norm_out.*
//   encoder.down_blocks.<l>.resnets.<i>.*                 encoder.down.<l>.block.<i>.*
//   encoder.down_blocks.<l>.attentions.<i>.*              encoder.down.<l>.attn.<i>.*
//   encoder.down_blocks.<l>.downsamplers.0.conv.*         encoder.down.<l>.downsample.conv.*
//   decoder.up_blocks.<j>.resnets.<i>.*                   decoder.up.<n-1-j>.block.<i>.*   (n = levels: diffusers
//   decoder.up_blocks.<j>.attentions.<i>.*                decoder.up.<n-1-j>.attn.<i>.*     lists up blocks in
//   decoder.up_blocks.<j>.upsamplers.0.conv.*             decoder.up.<n-1-j>.upsample.conv.*  the order they run)
//   {encoder,decoder}.mid_block.resnets.{0,1}.*           {encoder,decoder}.mid.block_{1,2}.*
//   {encoder,decoder}.mid_block.attentions.0.*            {encoder,decoder}.mid.attn_1.*
//   inside a res block:   conv_shortcut.*                 nin_shortcut.*   (diffusers' 1×1 shortcut)
//   inside attention:     group_norm.*                    norm.*
//                         to_q / to_k / to_v / to_out.0   q / k / v / proj_out
//                         query / key / value / proj_attn q / k / v / proj_out   (diffusers < 0.14 names)
// quant_conv.* and post_quant_conv.* are the same in both. diffusers' attention projections are Linear
// layers (weights C×C); they become 1×1 conv weights C×C×1×1 by a reshape (same bytes).
#pragma once

#include <string>

#include "io/array.h"

namespace latentlab::models {

// True when any name has diffusers' block structure (down_blocks, up_blocks or mid_block).
bool is_diffusers_autoencoder_kl(const io::NamedArrays& tensors);

// Renames (and reshapes) every tensor by the table above; names no rule matches are kept as they are, so
// the loader reports them as unexpected. Errors (an implausible block index) name `subject`.
io::NamedArrays diffusers_to_ldm_autoencoder_kl(const io::NamedArrays& tensors, const std::string& subject);

}  // namespace latentlab::models
