// Ported from torchvision `models/inception.py` (BSD-3-Clause) with pytorch-fid's FID overrides
// (mseitzer/pytorch-fid `src/pytorch_fid/inception.py`, Apache-2.0); see the header for what differs.
#include "models/inception_fid_blocks.h"

#include <cmath>
#include <string>

#include <ATen/ATen.h>

namespace latentlab::models::inception_fid {
namespace {

constexpr double kBatchNormEps = 0.001;  // the TF graph's and torchvision's

// The pool branch of InceptionA/C/E_1: TF's 3×3 SAME average pool, which ignores the padding.
at::Tensor average_pool_3x3(const at::Tensor& x) {
  return at::avg_pool2d(x, {3, 3}, {1, 1}, {1, 1}, /*ceil_mode=*/false, /*count_include_pad=*/false);
}

template <typename... Args>
std::shared_ptr<BasicConv2d> add_conv(torch::nn::Module& parent, const std::string& name, Args... args) {
  return parent.register_module(name, std::make_shared<BasicConv2d>(args...));
}

}  // namespace

BasicConv2d::BasicConv2d(int64_t in_channels, int64_t out_channels, Pair kernel, Pair stride, Pair padding)
    : stride_(stride), padding_(padding) {
  // He-uniform weights (variance 2/fan_in) and identity batch norm: a usable random network before weights
  // are loaded (tests, benchmarks). Uniform because drawing 24M normals is slow.
  const double bound = std::sqrt(6.0 / static_cast<double>(in_channels * kernel[0] * kernel[1]));
  auto conv = register_module("conv", std::make_shared<torch::nn::Module>());
  weight_ = conv->register_parameter(
      "weight", at::empty({out_channels, in_channels, kernel[0], kernel[1]}).uniform_(-bound, bound), false);
  auto bn = register_module("bn", std::make_shared<torch::nn::Module>());
  bn_weight_ = bn->register_parameter("weight", at::ones({out_channels}), false);
  bn_bias_ = bn->register_parameter("bias", at::zeros({out_channels}), false);
  running_mean_ = bn->register_buffer("running_mean", at::zeros({out_channels}));
  running_var_ = bn->register_buffer("running_var", at::ones({out_channels}));
}

at::Tensor BasicConv2d::forward(const at::Tensor& x) {
  if (batch_norm_folded()) {
    auto y = at::conv2d(x, folded_weight_, folded_bias_, stride_, padding_);
    return at::relu_(y);
  }
  auto y = at::conv2d(x, weight_, {}, stride_, padding_);
  // What torch.nn.BatchNorm2d calls in eval mode; eps 0.001 as in the TF graph and torchvision.
  y = at::batch_norm(y, bn_weight_, bn_bias_, running_mean_, running_var_, /*training=*/false, /*momentum=*/0.1,
                     kBatchNormEps, /*cudnn_enabled=*/true);
  return at::relu_(y);
}

void BasicConv2d::fold_batch_norm() {
  const auto scale = bn_weight_.to(at::kDouble) / (running_var_.to(at::kDouble) + kBatchNormEps).sqrt();
  folded_weight_ =
      (weight_.to(at::kDouble) * scale.view({-1, 1, 1, 1})).to(at::kFloat).contiguous(weight_.suggest_memory_format());
  folded_bias_ = (bn_bias_.to(at::kDouble) - running_mean_.to(at::kDouble) * scale).to(at::kFloat);
}

void BasicConv2d::unfold_batch_norm() {
  folded_weight_.reset();
  folded_bias_.reset();
}

InceptionA::InceptionA(int64_t in_channels, int64_t pool_features) {
  branch1x1_ = add_conv(*this, "branch1x1", in_channels, 64, Pair{1, 1});
  branch5x5_1_ = add_conv(*this, "branch5x5_1", in_channels, 48, Pair{1, 1});
  branch5x5_2_ = add_conv(*this, "branch5x5_2", 48, 64, Pair{5, 5}, Pair{1, 1}, Pair{2, 2});
  branch3x3dbl_1_ = add_conv(*this, "branch3x3dbl_1", in_channels, 64, Pair{1, 1});
  branch3x3dbl_2_ = add_conv(*this, "branch3x3dbl_2", 64, 96, Pair{3, 3}, Pair{1, 1}, Pair{1, 1});
  branch3x3dbl_3_ = add_conv(*this, "branch3x3dbl_3", 96, 96, Pair{3, 3}, Pair{1, 1}, Pair{1, 1});
  branch_pool_ = add_conv(*this, "branch_pool", in_channels, pool_features, Pair{1, 1});
}

at::Tensor InceptionA::forward(const at::Tensor& x) {
  auto b1 = branch1x1_->forward(x);
  auto b5 = branch5x5_2_->forward(branch5x5_1_->forward(x));
  auto b3 = branch3x3dbl_3_->forward(branch3x3dbl_2_->forward(branch3x3dbl_1_->forward(x)));
  auto bp = branch_pool_->forward(average_pool_3x3(x));
  return at::cat({b1, b5, b3, bp}, 1);
}

InceptionB::InceptionB(int64_t in_channels) {
  branch3x3_ = add_conv(*this, "branch3x3", in_channels, 384, Pair{3, 3}, Pair{2, 2});
  branch3x3dbl_1_ = add_conv(*this, "branch3x3dbl_1", in_channels, 64, Pair{1, 1});
  branch3x3dbl_2_ = add_conv(*this, "branch3x3dbl_2", 64, 96, Pair{3, 3}, Pair{1, 1}, Pair{1, 1});
  branch3x3dbl_3_ = add_conv(*this, "branch3x3dbl_3", 96, 96, Pair{3, 3}, Pair{2, 2});
}

at::Tensor InceptionB::forward(const at::Tensor& x) {
  auto b3 = branch3x3_->forward(x);
  auto bd = branch3x3dbl_3_->forward(branch3x3dbl_2_->forward(branch3x3dbl_1_->forward(x)));
  auto bp = at::max_pool2d(x, {3, 3}, {2, 2});
  return at::cat({b3, bd, bp}, 1);
}

InceptionC::InceptionC(int64_t in_channels, int64_t c7) {
  branch1x1_ = add_conv(*this, "branch1x1", in_channels, 192, Pair{1, 1});
  branch7x7_1_ = add_conv(*this, "branch7x7_1", in_channels, c7, Pair{1, 1});
  branch7x7_2_ = add_conv(*this, "branch7x7_2", c7, c7, Pair{1, 7}, Pair{1, 1}, Pair{0, 3});
  branch7x7_3_ = add_conv(*this, "branch7x7_3", c7, 192, Pair{7, 1}, Pair{1, 1}, Pair{3, 0});
  branch7x7dbl_1_ = add_conv(*this, "branch7x7dbl_1", in_channels, c7, Pair{1, 1});
  branch7x7dbl_2_ = add_conv(*this, "branch7x7dbl_2", c7, c7, Pair{7, 1}, Pair{1, 1}, Pair{3, 0});
  branch7x7dbl_3_ = add_conv(*this, "branch7x7dbl_3", c7, c7, Pair{1, 7}, Pair{1, 1}, Pair{0, 3});
  branch7x7dbl_4_ = add_conv(*this, "branch7x7dbl_4", c7, c7, Pair{7, 1}, Pair{1, 1}, Pair{3, 0});
  branch7x7dbl_5_ = add_conv(*this, "branch7x7dbl_5", c7, 192, Pair{1, 7}, Pair{1, 1}, Pair{0, 3});
  branch_pool_ = add_conv(*this, "branch_pool", in_channels, 192, Pair{1, 1});
}

at::Tensor InceptionC::forward(const at::Tensor& x, at::Tensor* branch1x1_out) {
  auto b1 = branch1x1_->forward(x);
  if (branch1x1_out) *branch1x1_out = b1;
  auto b7 = branch7x7_3_->forward(branch7x7_2_->forward(branch7x7_1_->forward(x)));
  auto bd = branch7x7dbl_1_->forward(x);
  bd = branch7x7dbl_3_->forward(branch7x7dbl_2_->forward(bd));
  bd = branch7x7dbl_5_->forward(branch7x7dbl_4_->forward(bd));
  auto bp = branch_pool_->forward(average_pool_3x3(x));
  return at::cat({b1, b7, bd, bp}, 1);
}

InceptionD::InceptionD(int64_t in_channels) {
  branch3x3_1_ = add_conv(*this, "branch3x3_1", in_channels, 192, Pair{1, 1});
  branch3x3_2_ = add_conv(*this, "branch3x3_2", 192, 320, Pair{3, 3}, Pair{2, 2});
  branch7x7x3_1_ = add_conv(*this, "branch7x7x3_1", in_channels, 192, Pair{1, 1});
  branch7x7x3_2_ = add_conv(*this, "branch7x7x3_2", 192, 192, Pair{1, 7}, Pair{1, 1}, Pair{0, 3});
  branch7x7x3_3_ = add_conv(*this, "branch7x7x3_3", 192, 192, Pair{7, 1}, Pair{1, 1}, Pair{3, 0});
  branch7x7x3_4_ = add_conv(*this, "branch7x7x3_4", 192, 192, Pair{3, 3}, Pair{2, 2});
}

at::Tensor InceptionD::forward(const at::Tensor& x) {
  auto b3 = branch3x3_2_->forward(branch3x3_1_->forward(x));
  auto b7 = branch7x7x3_2_->forward(branch7x7x3_1_->forward(x));
  b7 = branch7x7x3_4_->forward(branch7x7x3_3_->forward(b7));
  auto bp = at::max_pool2d(x, {3, 3}, {2, 2});
  return at::cat({b3, b7, bp}, 1);
}

InceptionE::InceptionE(int64_t in_channels, PoolBranch pool) : pool_(pool) {
  branch1x1_ = add_conv(*this, "branch1x1", in_channels, 320, Pair{1, 1});
  branch3x3_1_ = add_conv(*this, "branch3x3_1", in_channels, 384, Pair{1, 1});
  branch3x3_2a_ = add_conv(*this, "branch3x3_2a", 384, 384, Pair{1, 3}, Pair{1, 1}, Pair{0, 1});
  branch3x3_2b_ = add_conv(*this, "branch3x3_2b", 384, 384, Pair{3, 1}, Pair{1, 1}, Pair{1, 0});
  branch3x3dbl_1_ = add_conv(*this, "branch3x3dbl_1", in_channels, 448, Pair{1, 1});
  branch3x3dbl_2_ = add_conv(*this, "branch3x3dbl_2", 448, 384, Pair{3, 3}, Pair{1, 1}, Pair{1, 1});
  branch3x3dbl_3a_ = add_conv(*this, "branch3x3dbl_3a", 384, 384, Pair{1, 3}, Pair{1, 1}, Pair{0, 1});
  branch3x3dbl_3b_ = add_conv(*this, "branch3x3dbl_3b", 384, 384, Pair{3, 1}, Pair{1, 1}, Pair{1, 0});
  branch_pool_ = add_conv(*this, "branch_pool", in_channels, 192, Pair{1, 1});
}

at::Tensor InceptionE::forward(const at::Tensor& x) {
  auto b1 = branch1x1_->forward(x);
  auto b3 = branch3x3_1_->forward(x);
  b3 = at::cat({branch3x3_2a_->forward(b3), branch3x3_2b_->forward(b3)}, 1);
  auto bd = branch3x3dbl_2_->forward(branch3x3dbl_1_->forward(x));
  bd = at::cat({branch3x3dbl_3a_->forward(bd), branch3x3dbl_3b_->forward(bd)}, 1);
  // FIDInceptionE_2 (Mixed_7c) keeps the TF graph's max pool here.
  auto pooled = pool_ == PoolBranch::Max ? at::max_pool2d(x, {3, 3}, {1, 1}, {1, 1}) : average_pool_3x3(x);
  auto bp = branch_pool_->forward(pooled);
  return at::cat({b1, b3, bd, bp}, 1);
}

}  // namespace latentlab::models::inception_fid
