#include "models/sit_net.h"

#include <memory>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/container/modulelist.h>

namespace latentlab::models {

SiTNet::SiTNet(const SiTConfig& c) : config_(c) {
  const int64_t d = c.hidden_size, p = c.patch_size;
  auto x_embedder = register_module("x_embedder", std::make_shared<torch::nn::Module>());
  patch_proj =
      x_embedder->register_module("proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(c.in_channels, d, p).stride(p)));
  t_embedder = register_module("t_embedder", SiTTimestepEmbedder(d));
  auto y_embedder = register_module("y_embedder", std::make_shared<torch::nn::Module>());
  label_table = y_embedder->register_module("embedding_table", torch::nn::Embedding(c.num_classes + 1, d));
  pos_embed = register_buffer("pos_embed", sincos_position_embedding(d, c.grid_size()).unsqueeze(0));
  torch::nn::ModuleList block_list, projector_list;
  for (int64_t i = 0; i < c.depth; ++i) {
    blocks.push_back(SiTBlock(d, c.num_heads, c.mlp_hidden()));
    block_list->push_back(blocks.back());
  }
  for (int64_t z : c.z_dims) {
    projectors.push_back(SiTProjector(d, c.projector_dim, z));
    projector_list->push_back(projectors.back());
  }
  register_module("blocks", block_list);
  if (!projectors.empty()) register_module("projectors", projector_list);
  final_layer = register_module("final_layer", SiTFinalLayer(d, p * p * c.out_channels()));
  initialize_weights();
}

void SiTNet::initialize_weights() {
  namespace init = torch::nn::init;
  at::NoGradGuard no_grad;
  for (auto& module : modules(/*include_self=*/false))
    if (auto* l = module->as<torch::nn::Linear>()) {
      init::xavier_uniform_(l->weight);
      init::zeros_(l->bias);
    }
  pos_embed.copy_(sincos_position_embedding(config_.hidden_size, config_.grid_size()).unsqueeze(0));
  init::xavier_uniform_(patch_proj->weight.view({patch_proj->weight.size(0), -1}));
  init::zeros_(patch_proj->bias);
  init::normal_(label_table->weight, 0.0, 0.02);
  init::normal_(t_embedder->fc1->weight, 0.0, 0.02);
  init::normal_(t_embedder->fc2->weight, 0.0, 0.02);
  for (auto& block : blocks) {
    init::zeros_(block->adaLN->weight);
    init::zeros_(block->adaLN->bias);
  }
  for (auto* l : {&final_layer->adaLN, &final_layer->linear}) {
    init::zeros_((*l)->weight);
    init::zeros_((*l)->bias);
  }
}

SiTNet::Output SiTNet::forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& labels, bool project) {
  Output out;
  at::Tensor h = patch_proj->forward(x).flatten(2).transpose(1, 2) + pos_embed;  // N×T×D
  const at::Tensor c = t_embedder->forward(t) + label_table->forward(labels);
  for (size_t i = 0; i < blocks.size(); ++i) {
    h = blocks[i]->forward(h, c);
    if (project && static_cast<int64_t>(i) + 1 == config_.encoder_depth)
      for (auto& projector : projectors) out.projections.push_back(projector->forward(h));
  }
  at::Tensor image = unpatchify(final_layer->forward(h, c));
  if (config_.learn_sigma) image = image.narrow(1, 0, config_.in_channels);
  out.prediction = image;
  return out;
}

at::Tensor SiTNet::unpatchify(const at::Tensor& tokens) const {
  const int64_t n = tokens.size(0), g = config_.grid_size(), p = config_.patch_size, ch = config_.out_channels();
  // n, r, j, a, b, ch -> n, ch, r, a, j, b
  return tokens.reshape({n, g, g, p, p, ch}).permute({0, 5, 1, 3, 2, 4}).reshape({n, ch, g * p, g * p});
}

}  // namespace latentlab::models
