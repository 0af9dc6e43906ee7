// LPIPS v0.1 with the VGG16 trunk (Zhang et al. 2018, "The Unreasonable Effectiveness of Deep Features as a
// Perceptual Metric"; richzhang/PerceptualSimilarity, pip `lpips`, BSD-2-Clause), computed as the `lpips`
// package's LPIPS(net='vgg', version='0.1') in eval mode:
//
//   x ∈ [-1, 1] → ScalingLayer (x − shift) / scale, shift [-.030, -.088, -.188], scale [.458, .448, .450]
//   → torchvision VGG16 `features` cut after relu1_2, relu2_2, relu3_3, relu4_3, relu5_3 (64, 128, 256, 512,
//     512 channels at H, H/2, H/4, H/8, H/16)
//   → per layer: unit-normalise over channels f / (‖f‖₂ + 1e-10), squared difference of the two images,
//     1×1 conv `lin_l` to one channel (no bias; its dropout is a no-op in eval), spatial mean
//   → sum over the 5 layers.
//
// Everything is plain ATen ops on frozen weight tensors, so gradients flow to the inputs (VAE training uses
// it as a loss); the weights never require grad.
//
// Weights (models/lpips_vgg_weights.cpp) come from one or more files whose tensors are pooled:
//   trunk   torchvision `vgg16-397923af.pth` (features.N.weight/bias, N ∈ {0, 2, 5, 7, 10, 12, 14, 17, 19,
//           21, 24, 26, 28}; classifier.* ignored), or the lpips module's own names net.sliceK.N.weight/bias
//   heads   lpips `weights/v0.1/vgg.pth` (lin0.model.1.weight … lin4.model.1.weight, (1, C, 1, 1))
//   both    one safetensors file written by save() (torchvision + lpips names, float32)
// scaling_layer.shift/scale (a saved lpips module) are checked against the constants above.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include "io/array.h"

namespace latentlab::models {

inline constexpr int kLpipsLayers = 5;
// torchvision publishes `vgg16-397923af.pth`; torch.hub names files by the first 8 hex digits of their SHA-256.
inline constexpr const char* kVgg16OfficialSha256Prefix = "397923af";

struct LpipsWeightsInfo {
  std::string trunk_path, trunk_sha256;  // the file the VGG16 tensors came from
  std::string heads_path, heads_sha256;  // the file the lin heads came from (may equal the trunk's)
  std::string trunk_layout;              // "torchvision" (features.N) or "lpips" (net.sliceK.N); "" = random
  bool trunk_official = false;           // trunk SHA-256 starts with kVgg16OfficialSha256Prefix
};

struct LpipsOutput {
  at::Tensor distance;   // (N) float: the LPIPS distance of each pair
  at::Tensor per_layer;  // (N, 5): each layer's spatial mean (distance = their sum)
  // With `maps`: per layer (N, 1, h_l, w_l), the lin output before the spatial mean, at the layer's own
  // resolution (lpips' `spatial=True` upsamples these bilinearly to the input size).
  std::vector<at::Tensor> maps;
};

class LpipsVGG {
 public:
  // Random weights from the current at:: generator (He-normal convs, non-negative heads): for tests only.
  LpipsVGG();

  // Loads and pools the tensors of `paths` (see the top of this file). Throws UserError naming the file and
  // tensor for a missing, duplicated, misshapen, non-float or unexpected tensor. CPU, float32.
  static LpipsVGG load(const std::vector<std::string>& paths);

  // x0, x1: (N, 3, H, W) floating in [-1, 1] on the model's device and dtype, H, W ≥ 16. Differentiable in
  // x0 and x1. Throws UserError (subject "lpips") for mismatched or unsupported shapes.
  LpipsOutput forward(const at::Tensor& x0, const at::Tensor& x1, bool maps = false) const;
  at::Tensor distance(const at::Tensor& x0, const at::Tensor& x1) const { return forward(x0, x1).distance; }

  // The five relu outputs for an input already in [-1, 1] (scaling applied here): for tests and losses.
  std::vector<at::Tensor> features(const at::Tensor& x) const;

  // Moves (and casts, for float64 gradient checks) every tensor.
  void to(const c10::Device& device, c10::ScalarType dtype);
  c10::Device device() const;

  // The tensors under torchvision (trunk) and lpips (heads) names, float32 CPU, in network order.
  io::NamedArrays state_arrays() const;
  // Copies named tensors (either trunk layout, heads, optionally scaling_layer.*) in; errors name `subject`.
  // Returns the trunk layout found. All checks happen before anything is copied.
  std::string load_state(const io::NamedArrays& tensors, const std::string& subject);
  // Writes one safetensors file holding trunk and heads (state_arrays()), atomically.
  void save(const std::string& path) const;

  const LpipsWeightsInfo& weights() const { return info_; }

 private:
  struct Empty {};
  explicit LpipsVGG(Empty);  // scaling constants only: load() fills the rest without drawing random weights

  std::vector<at::Tensor> conv_weight_, conv_bias_;  // 13 VGG16 convolutions, features order
  std::vector<at::Tensor> lin_;                      // 5 heads, (1, C, 1, 1)
  at::Tensor shift_, scale_;                         // (1, 3, 1, 1)
  LpipsWeightsInfo info_;
};

}  // namespace latentlab::models
