// The FID Inception-v3 network: torchvision's Inception3 forward (without AuxLogits and dropout) with
// pytorch-fid's blocks (mseitzer/pytorch-fid `src/pytorch_fid/inception.py`, Apache-2.0).
#include "models/inception_fid.h"

#include <cmath>

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include "models/inception_fid_blocks.h"

namespace latentlab::models {

using inception_fid::BasicConv2d;
using inception_fid::Pair;

InceptionFID::InceptionFID() {
  conv1a_ = register_module("Conv2d_1a_3x3", std::make_shared<BasicConv2d>(3, 32, Pair{3, 3}, Pair{2, 2}));
  conv2a_ = register_module("Conv2d_2a_3x3", std::make_shared<BasicConv2d>(32, 32, Pair{3, 3}));
  conv2b_ = register_module("Conv2d_2b_3x3", std::make_shared<BasicConv2d>(32, 64, Pair{3, 3}, Pair{1, 1}, Pair{1, 1}));
  conv3b_ = register_module("Conv2d_3b_1x1", std::make_shared<BasicConv2d>(64, 80, Pair{1, 1}));
  conv4a_ = register_module("Conv2d_4a_3x3", std::make_shared<BasicConv2d>(80, 192, Pair{3, 3}));
  mixed_5b_ = register_module("Mixed_5b", std::make_shared<inception_fid::InceptionA>(192, 32));
  mixed_5c_ = register_module("Mixed_5c", std::make_shared<inception_fid::InceptionA>(256, 64));
  mixed_5d_ = register_module("Mixed_5d", std::make_shared<inception_fid::InceptionA>(288, 64));
  mixed_6a_ = register_module("Mixed_6a", std::make_shared<inception_fid::InceptionB>(288));
  mixed_6b_ = register_module("Mixed_6b", std::make_shared<inception_fid::InceptionC>(768, 128));
  mixed_6c_ = register_module("Mixed_6c", std::make_shared<inception_fid::InceptionC>(768, 160));
  mixed_6d_ = register_module("Mixed_6d", std::make_shared<inception_fid::InceptionC>(768, 160));
  mixed_6e_ = register_module("Mixed_6e", std::make_shared<inception_fid::InceptionC>(768, 192));
  mixed_7a_ = register_module("Mixed_7a", std::make_shared<inception_fid::InceptionD>(768));
  mixed_7b_ = register_module("Mixed_7b",
                              std::make_shared<inception_fid::InceptionE>(1280, inception_fid::PoolBranch::Average));
  mixed_7c_ =
      register_module("Mixed_7c", std::make_shared<inception_fid::InceptionE>(2048, inception_fid::PoolBranch::Max));
  auto fc = register_module("fc", std::make_shared<torch::nn::Module>());
  const double bound = std::sqrt(3.0 / kInceptionPool3Dim);  // variance 1/2048
  fc_weight_ = fc->register_parameter(
      "weight", at::empty({kInceptionLogitsDim, kInceptionPool3Dim}).uniform_(-bound, bound), false);
  fc_bias_ = fc->register_parameter("bias", at::zeros({kInceptionLogitsDim}), false);
}

InceptionFID::~InceptionFID() = default;

void InceptionFID::fold_batch_norms(bool fold) {
  c10::NoGradGuard no_grad;
  for (const auto& module : modules(/*include_self=*/false)) {
    if (const auto conv = std::dynamic_pointer_cast<BasicConv2d>(module)) {
      if (fold)
        conv->fold_batch_norm();
      else
        conv->unfold_batch_norm();
    }
  }
  folded_ = fold;
}

InceptionFIDOutputs InceptionFID::forward(const at::Tensor& x) {
  // block 0: 299 -> 147 (after the first max pool: 73)
  auto h = conv2b_->forward(conv2a_->forward(conv1a_->forward(x)));
  h = at::max_pool2d(h, {3, 3}, {2, 2});
  // block 1: -> 35
  h = conv4a_->forward(conv3b_->forward(h));
  h = at::max_pool2d(h, {3, 3}, {2, 2});
  // block 2: 35 -> 17
  h = mixed_5d_->forward(mixed_5c_->forward(mixed_5b_->forward(h)));
  h = mixed_6a_->forward(h);
  h = mixed_6c_->forward(mixed_6b_->forward(h));
  at::Tensor mixed_6_conv;  // TF mixed_6/conv: (N, 192, 17, 17)
  h = mixed_6d_->forward(h, &mixed_6_conv);
  h = mixed_6e_->forward(h);
  // block 3: 17 -> 8
  h = mixed_7c_->forward(mixed_7b_->forward(mixed_7a_->forward(h)));

  InceptionFIDOutputs out;
  out.pool3 = at::adaptive_avg_pool2d(h, {1, 1}).flatten(1);  // as torchvision's avgpool, then flatten
  out.logits = at::linear(out.pool3, fc_weight_, fc_bias_);
  out.logits_unbiased = at::linear(out.pool3, fc_weight_);
  // NHWC slice of the first 7 channels, flattened (h, w, c) like ADM's spatial[..., :7].reshape(N, -1).
  out.spatial = mixed_6_conv.narrow(1, 0, kInceptionSpatialChannels).permute({0, 2, 3, 1}).reshape({x.size(0), -1});
  return out;
}

}  // namespace latentlab::models
