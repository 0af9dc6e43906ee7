// Inception-v3 "2015-12-05" for FID, IS and sFID: the TensorFlow graph `classify_image_graph_def.pb` as
// ported by pytorch-fid (`pt_inception-2015-12-05-6726825d.pth`), whose state-dict names it uses
// (torchvision's Inception3 without AuxLogits, fc with 1008 outputs). Blocks: models/inception_fid_blocks.h;
// weights: models/inception_fid_weights.h; the uint8 -> 299×299 input protocol: models/inception_fid_input.h.
//
// Outputs (docs/METRICS.md §2), float32, for a (N, 3, 299, 299) input normalised to [-1, 1]:
//   pool3            (N, 2048)  global average pool of Mixed_7c (TF `pool_3:0`): FID, KID, P/R
//   logits           (N, 1008)  fc(pool3) with its bias (pytorch-fid's fc)
//   logits_unbiased  (N, 1008)  pool3 · Wᵀ without the bias (TF `softmax/logits/MatMul`, torch-fidelity
//                               `logits_unbiased`): the Inception Score takes the softmax over all 1008
//                               classes of these (ADM, torch-fidelity, StyleGAN2-ADA), not over 1000/1001
//   spatial          (N, 2023)  TF `mixed_6/conv:0[..., :7]` flattened in NHWC order (h, w, c), as the ADM
//                               evaluator does: sFID
// TF `mixed_6` is torchvision's Mixed_6d (mixed = 5b, mixed_1 = 5c, mixed_2 = 5d, mixed_3 = 6a, mixed_4..7 =
// 6b..6e; torch-fidelity `utils/util_convert_inception_weights.py` maps `mixed_6/conv/*` to
// `Mixed_6d.branch1x1.*`), and `mixed_6/conv` is the ReLU output of its 1×1 branch (192 channels at 17×17),
// not the 768-channel block output that dgm-eval slices (Mixed_6e). The first 7 channels are taken, never
// the last NCHW axis (guided-diffusion#159).
#pragma once

#include <cstdint>
#include <memory>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

namespace latentlab::models {

namespace inception_fid {
class BasicConv2d;
class InceptionA;
class InceptionB;
class InceptionC;
class InceptionD;
class InceptionE;
}  // namespace inception_fid

inline constexpr int64_t kInceptionInputSize = 299;
inline constexpr int64_t kInceptionPool3Dim = 2048;
inline constexpr int64_t kInceptionLogitsDim = 1008;
inline constexpr int64_t kInceptionSpatialChannels = 7;
inline constexpr int64_t kInceptionSpatialDim = 17 * 17 * kInceptionSpatialChannels;  // 2023 at 299×299

struct InceptionFIDOutputs {
  at::Tensor pool3;            // (N, 2048)
  at::Tensor logits;           // (N, 1008), with the fc bias
  at::Tensor logits_unbiased;  // (N, 1008), pool3 · Wᵀ
  at::Tensor spatial;          // (N, 7·h·w) = (N, 2023) at 299×299; NHWC order
};

class InceptionFID : public torch::nn::Module {
 public:
  // Random weights (He-uniform convs, identity batch norm, fc of variance 1/2048) until weights are loaded.
  InceptionFID();
  ~InceptionFID() override;

  // x: (N, 3, H, W) float32 in [-1, 1] on the module's device; H = W = 299 for the published protocol (other
  // sizes ≥ 75 run too, with a different spatial size). Call in eval/inference mode; nothing is trained.
  InceptionFIDOutputs forward(const at::Tensor& x);

  // Inference speed-up (inception_fid::BasicConv2d::fold_batch_norm): every batch norm folded into its
  // convolution (true) or run as loaded (false, the default). Features move by float32 rounding only
  // (docs/metrics.md "Speed"). Fold after moving the model and changing its memory format; loading weights
  // refolds.
  void fold_batch_norms(bool fold);
  bool batch_norms_folded() const { return folded_; }

 private:
  bool folded_ = false;
  std::shared_ptr<inception_fid::BasicConv2d> conv1a_, conv2a_, conv2b_, conv3b_, conv4a_;
  std::shared_ptr<inception_fid::InceptionA> mixed_5b_, mixed_5c_, mixed_5d_;
  std::shared_ptr<inception_fid::InceptionB> mixed_6a_;
  std::shared_ptr<inception_fid::InceptionC> mixed_6b_, mixed_6c_, mixed_6d_, mixed_6e_;
  std::shared_ptr<inception_fid::InceptionD> mixed_7a_;
  std::shared_ptr<inception_fid::InceptionE> mixed_7b_, mixed_7c_;
  at::Tensor fc_weight_, fc_bias_;
};

}  // namespace latentlab::models
