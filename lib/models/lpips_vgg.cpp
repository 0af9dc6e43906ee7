// The LPIPS-VGG forward pass (the network is described in the header).
#include "models/lpips_vgg.h"

#include <cmath>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "core/error.h"
#include "models/lpips_vgg_layout.h"

namespace latentlab::models {

LpipsVGG::LpipsVGG(Empty) {
  shift_ = at::tensor(std::vector<float>(lpips_vgg::kShift, lpips_vgg::kShift + 3)).view({1, 3, 1, 1});
  scale_ = at::tensor(std::vector<float>(lpips_vgg::kScale, lpips_vgg::kScale + 3)).view({1, 3, 1, 1});
}

LpipsVGG::LpipsVGG() : LpipsVGG(Empty{}) {
  for (const auto& conv : lpips_vgg::kConvs) {
    const double fan_in = static_cast<double>(conv.in * 9);
    conv_weight_.push_back(at::randn({conv.out, conv.in, 3, 3}) * std::sqrt(2.0 / fan_in));
    conv_bias_.push_back(at::randn({conv.out}) * 0.01);
  }
  for (int64_t channels : lpips_vgg::kLayerChannels) lin_.push_back(at::rand({1, channels, 1, 1}) / channels);
}

std::vector<at::Tensor> LpipsVGG::features(const at::Tensor& x) const {
  std::vector<at::Tensor> out;
  at::Tensor h = (x - shift_) / scale_;
  size_t conv = 0;
  for (int layer = 0; layer < kLpipsLayers; ++layer) {
    if (layer > 0) h = at::max_pool2d(h, {2, 2}, {2, 2});
    for (int i = 0; i < lpips_vgg::kConvsPerLayer[layer]; ++i, ++conv)
      h = at::relu(at::conv2d(h, conv_weight_[conv], conv_bias_[conv], 1, 1));
    out.push_back(h);
  }
  return out;
}

LpipsOutput LpipsVGG::forward(const at::Tensor& x0, const at::Tensor& x1, bool maps) const {
  if (x0.dim() != 4 || x0.size(1) != 3 || x0.sizes() != x1.sizes())
    fail("lpips", "needs two (N, 3, H, W) batches of one shape, got {} and {}", io::shape_string(x0.sizes().vec()),
         io::shape_string(x1.sizes().vec()));
  if (x0.size(2) < 16 || x0.size(3) < 16)
    fail("lpips", "images of {}x{} are too small: VGG16's fifth block needs at least 16x16", x0.size(2), x0.size(3));
  const int64_t n = x0.size(0);
  std::vector<at::Tensor> f0, f1;
  if (at::GradMode::is_enabled() && x0.requires_grad() != x1.requires_grad()) {
    // A training loss: only one side (the reconstruction) needs gradients. The other (the target) runs without
    // a graph, so that backward goes through VGG for half the images, as the lpips package does.
    const bool grad0 = x0.requires_grad();
    {
      at::NoGradGuard no_grad;
      (grad0 ? f1 : f0) = features(grad0 ? x1 : x0);
    }
    (grad0 ? f0 : f1) = features(grad0 ? x0 : x1);
  } else {
    // One pass over both batches: convolutions treat samples independently.
    const auto f = features(at::cat({x0, x1}));
    for (const auto& layer : f) f0.push_back(layer.narrow(0, 0, n)), f1.push_back(layer.narrow(0, n, n));
  }
  const auto unit = [](const at::Tensor& f) { return f / (f.pow(2).sum(1, true).sqrt() + 1e-10); };
  LpipsOutput out;
  std::vector<at::Tensor> layer_values;
  for (int layer = 0; layer < kLpipsLayers; ++layer) {
    const at::Tensor diff = (unit(f0[layer]) - unit(f1[layer])).pow(2);
    const at::Tensor map = at::conv2d(diff, lin_[layer]);
    layer_values.push_back(map.mean({2, 3}).view({n}));
    if (maps) out.maps.push_back(map);
  }
  out.per_layer = at::stack(layer_values, 1);
  // lpips adds the layers in order (val += res[l]); summing the same way keeps float32 rounding identical.
  out.distance = layer_values[0];
  for (int layer = 1; layer < kLpipsLayers; ++layer) out.distance = out.distance + layer_values[layer];
  return out;
}

void LpipsVGG::to(const c10::Device& device, c10::ScalarType dtype) {
  for (auto* group : {&conv_weight_, &conv_bias_, &lin_})
    for (auto& t : *group) t = t.to(device, dtype);
  shift_ = shift_.to(device, dtype);
  scale_ = scale_.to(device, dtype);
}

c10::Device LpipsVGG::device() const {
  return shift_.device();
}

}  // namespace latentlab::models
