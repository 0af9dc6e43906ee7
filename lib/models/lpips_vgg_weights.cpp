// Loading and saving LPIPS-VGG weights by name (the accepted layouts are listed in models/lpips_vgg.h).
#include <map>
#include <set>

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "io/safetensors.h"
#include "io/tensor_convert.h"
#include "io/weights.h"
#include "models/inception_fid_weights.h"
#include "models/lpips_vgg.h"
#include "models/lpips_vgg_layout.h"

namespace latentlab::models {
namespace {

std::string torchvision_name(const lpips_vgg::Conv& conv, const char* kind) {
  return fmt::format("features.{}.{}", conv.index, kind);
}
std::string lpips_trunk_name(const lpips_vgg::Conv& conv, const char* kind) {
  return fmt::format("net.slice{}.{}.{}", conv.slice, conv.index, kind);
}
std::string head_name(int layer) {
  return fmt::format("lin{}.model.1.weight", layer);
}

// The array `name` with shape `shape` and a floating dtype; errors name `subject`.
const io::Array& expect(const std::map<std::string, const io::Array*>& by_name, const std::string& name,
                        const io::Shape& shape, const std::string& subject, const char* what) {
  const auto found = by_name.find(name);
  if (found == by_name.end()) fail(subject, "missing tensor '{}' ({})", name, what);
  const io::Array& a = *found->second;
  if (a.shape != shape)
    fail(subject, "tensor '{}' has shape {}, LPIPS-VGG needs {}", name, io::shape_string(a.shape),
         io::shape_string(shape));
  if (a.dtype != io::DType::F32 && a.dtype != io::DType::F64 && a.dtype != io::DType::F16 && a.dtype != io::DType::BF16)
    fail(subject, "tensor '{}' has dtype {}, expected a floating-point type", name, io::dtype_name(a.dtype));
  return a;
}

at::Tensor owned_float(const io::Array& array) {
  return io::to_tensor(array).to(at::kFloat).clone();
}

}  // namespace

std::string LpipsVGG::load_state(const io::NamedArrays& tensors, const std::string& subject) {
  std::map<std::string, const io::Array*> by_name;
  for (const auto& [name, array] : tensors) by_name.emplace(name, &array);
  const bool torchvision = by_name.count("features.0.weight") > 0;
  if (!torchvision && !by_name.count("net.slice1.0.weight"))
    fail(subject,
         "no VGG16 trunk: neither 'features.0.weight' (torchvision vgg16-397923af.pth) nor 'net.slice1.0.weight' "
         "(an lpips module) is present");
  std::set<std::string> used;
  std::vector<at::Tensor> weight, bias, lin;
  for (const auto& conv : lpips_vgg::kConvs) {
    const auto w = torchvision ? torchvision_name(conv, "weight") : lpips_trunk_name(conv, "weight");
    const auto b = torchvision ? torchvision_name(conv, "bias") : lpips_trunk_name(conv, "bias");
    weight.push_back(owned_float(expect(by_name, w, {conv.out, conv.in, 3, 3}, subject, "VGG16 trunk")));
    bias.push_back(owned_float(expect(by_name, b, {conv.out}, subject, "VGG16 trunk")));
    used.insert({w, b});
  }
  for (int layer = 0; layer < kLpipsLayers; ++layer) {
    const auto name = head_name(layer);
    lin.push_back(owned_float(expect(by_name, name, {1, lpips_vgg::kLayerChannels[layer], 1, 1}, subject,
                                     "LPIPS v0.1 head, lpips weights/v0.1/vgg.pth")));
    used.insert(name);
  }
  // A saved lpips module carries its scaling constants: another variant's would change every number.
  for (const auto& [name, values] :
       {std::pair{"scaling_layer.shift", lpips_vgg::kShift}, std::pair{"scaling_layer.scale", lpips_vgg::kScale}}) {
    if (!by_name.count(name)) continue;
    const at::Tensor got = owned_float(expect(by_name, name, {1, 3, 1, 1}, subject, "lpips ScalingLayer"));
    const at::Tensor want = at::tensor(std::vector<float>(values, values + 3)).view({1, 3, 1, 1});
    if (!at::allclose(got, want, 0, 1e-6))
      fail(subject, "tensor '{}' differs from LPIPS v0.1's constants: not the v0.1 ScalingLayer", name);
    used.insert(name);
  }
  for (const auto& [name, array] : tensors)
    if (!used.count(name) && !(torchvision && starts_with(name, "classifier.")))
      fail(subject, "unexpected tensor '{}': not a VGG16 trunk or LPIPS v0.1 head", name);

  conv_weight_ = std::move(weight);
  conv_bias_ = std::move(bias);
  lin_ = std::move(lin);
  to(c10::Device(c10::kCPU), at::kFloat);
  return torchvision ? "torchvision" : "lpips";
}

LpipsVGG LpipsVGG::load(const std::vector<std::string>& paths) {
  if (paths.empty()) fail("lpips", "no weights file given");
  std::vector<io::WeightsFile> files;
  io::NamedArrays pooled;
  std::map<std::string, std::string> origin;  // tensor name -> file
  for (const auto& path : paths) {
    files.push_back(io::load_weights(path));
    for (const auto& [name, array] : files.back().arrays) {
      const auto [it, fresh] = origin.emplace(name, path);
      if (!fresh) fail(path, "tensor '{}' is also in {}: give each tensor once", name, it->second);
      pooled.emplace_back(name, array);
    }
  }
  const std::string subject = paths.size() == 1 ? paths[0] : paths[0] + " + " + paths[1];
  LpipsVGG model{Empty{}};
  model.info_.trunk_layout = model.load_state(pooled, subject);
  model.info_.trunk_path =
      origin.count("features.0.weight") ? origin.at("features.0.weight") : origin.at("net.slice1.0.weight");
  model.info_.heads_path = origin.at(head_name(0));
  model.info_.trunk_sha256 = cached_file_sha256(model.info_.trunk_path);
  model.info_.heads_sha256 = cached_file_sha256(model.info_.heads_path);
  model.info_.trunk_official = model.info_.trunk_sha256.rfind(kVgg16OfficialSha256Prefix, 0) == 0;
  log::debug("LPIPS-VGG: trunk {} ({}, sha256 {}), heads {} (sha256 {})", model.info_.trunk_path,
             model.info_.trunk_layout, model.info_.trunk_sha256, model.info_.heads_path, model.info_.heads_sha256);
  return model;
}

io::NamedArrays LpipsVGG::state_arrays() const {
  io::NamedArrays out;
  auto add = [&](const std::string& name, const at::Tensor& t) {
    out.emplace_back(name, io::to_array(t.detach().to(at::kCPU, at::kFloat), name));
  };
  for (size_t i = 0; i < conv_weight_.size(); ++i) {
    add(torchvision_name(lpips_vgg::kConvs[i], "weight"), conv_weight_[i]);
    add(torchvision_name(lpips_vgg::kConvs[i], "bias"), conv_bias_[i]);
  }
  for (int layer = 0; layer < kLpipsLayers; ++layer) add(head_name(layer), lin_[layer]);
  return out;
}

void LpipsVGG::save(const std::string& path) const {
  io::write_safetensors(path, state_arrays(), {{"format", "pt"}, {"latentlab.model", "lpips-vgg-v0.1"}});
}

}  // namespace latentlab::models
