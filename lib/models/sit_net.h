// The torch module tree of SiT with REPA projectors, laid out as sihyun-yu/REPA `models/sit.py` (and, without
// projectors, willisma/SiT `models.py`), so that named_parameters() gives their state-dict names:
//
//   x_embedder.proj                 Conv2d(C -> D, kernel = stride = p)        (timm PatchEmbed)
//   t_embedder.mlp.0, .mlp.2        models/sit_layers.h
//   y_embedder.embedding_table      (num_classes + 1) × D; the last row is the null class
//   pos_embed                       buffer 1×T×D, fixed 2-D sin-cos (a frozen nn.Parameter in PyTorch)
//   blocks.<i>                      SiTBlock, i < depth
//   projectors.<j>                  SiTProjector to z_dims[j], on the tokens after block encoder_depth
//   final_layer                     adaLN + Linear(D -> p²·out_channels)
//
// forward: tokens = x_embedder(x) + pos_embed; c = t_embedder(t) + y_embedder(y); blocks; final layer;
// unpatchify (token (r, j), entry (a, b, ch) -> pixel (r·p + a, j·p + b) of channel ch); with learn_sigma the
// second C channels are dropped, as SiT does. Most code wants models/sit.h instead.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>

#include "models/sit_config.h"
#include "models/sit_layers.h"

namespace latentlab::models {

class SiTNet : public torch::nn::Module {
 public:
  explicit SiTNet(const SiTConfig& config);

  // DiT's initialize_weights: xavier-uniform Linear weights (the patch conv's viewed as D × C·p²), zero
  // biases, label table N(0, 0.02), timestep MLP weights N(0, 0.02), adaLN and final layer zero; pos_embed
  // the sin-cos table. Draws from the global generator (seed with at::manual_seed).
  void initialize_weights();

  struct Output {
    at::Tensor prediction;                // N×C×H×W
    std::vector<at::Tensor> projections;  // per projector N×T×z_dims[j]; empty unless `project`
  };
  // x N×C×H×W (H = W = input_size), t N floating, labels N int64 in [0, num_classes] (shapes checked by SiT).
  Output forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& labels, bool project);

  // N×T×p²·out_channels -> N×out_channels×H×W.
  at::Tensor unpatchify(const at::Tensor& tokens) const;

  torch::nn::Conv2d patch_proj{nullptr};  // x_embedder.proj
  SiTTimestepEmbedder t_embedder{nullptr};
  torch::nn::Embedding label_table{nullptr};  // y_embedder.embedding_table
  at::Tensor pos_embed;
  std::vector<SiTBlock> blocks;
  std::vector<SiTProjector> projectors;
  SiTFinalLayer final_layer{nullptr};

 private:
  SiTConfig config_;
};

}  // namespace latentlab::models
