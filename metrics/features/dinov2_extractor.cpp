// DINOv2 behind the FeatureExtractor interface (see the header).
#include "metrics/features/dinov2_extractor.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "core/compat.h"
#include "core/error.h"
#include "metrics/features/pil_resize.h"
#include "models/dinov2.h"
#include "models/inception_fid_input.h"  // resize_bilinear_tf1

namespace latentlab::metrics {
namespace {

constexpr double kMean[3] = {0.485, 0.456, 0.406};  // ImageNet, as EDM2, dgm-eval and torch-fidelity
constexpr double kStd[3] = {0.229, 0.224, 0.225};

const char* resize_name(DinoV2Resize mode) {
  switch (mode) {
    case DinoV2Resize::BicubicAntialias:
      return "bicubic-antialias";
    case DinoV2Resize::TF1Bilinear:
      return "tf1-bilinear";
    case DinoV2Resize::PilBicubic:
      return "pil-bicubic";
  }
  return "?";
}

DinoV2Resize parse_resize(const std::string& name) {
  if (name.empty() || name == "bicubic-antialias") return DinoV2Resize::BicubicAntialias;
  if (name == "tf1-bilinear") return DinoV2Resize::TF1Bilinear;
  if (name == "pil-bicubic") return DinoV2Resize::PilBicubic;
  fail_usage("--extractor-resize",
             "unknown DINOv2 resize '{}' (known: bicubic-antialias (EDM2 FD-DINOv2), pil-bicubic (dgm-eval), "
             "tf1-bilinear (torch-fidelity))",
             name);
}

void check_images(const at::Tensor& images) {
  check_rgb_images(images, "DINOv2");
}

}  // namespace

at::Tensor prepare_dinov2_input(const at::Tensor& images, DinoV2Resize mode) {
  check_images(images);
  const int64_t size = kDinoV2InputSize;
  const at::Tensor pixels =
      mode == DinoV2Resize::PilBicubic ? resize_pil_bicubic(images, size, size).to(images.device()) : images;
  at::Tensor x = pixels.permute({0, 3, 1, 2}).to(at::kFloat).contiguous();  // (N, 3, H, W) in [0, 255]
  if (x.size(2) != size || x.size(3) != size) {
    x = mode == DinoV2Resize::BicubicAntialias ? at::_upsample_bicubic2d_aa(x, at::IntArrayRef({size, size}), false)
                                               : models::resize_bilinear_tf1(x, size, size);
  }
  x = x / 255.0;
  const auto opts = x.options();
  const at::Tensor mean = at::tensor(std::vector<double>(kMean, kMean + 3), opts).view({1, 3, 1, 1});
  const at::Tensor std = at::tensor(std::vector<double>(kStd, kStd + 3), opts).view({1, 3, 1, 1});
  return (x - mean) / std;
}

std::string dinov2_extractor_name(const std::string& preset) {
  if (preset.rfind("vit", 0) != 0 || preset.size() < 6) return "dinov2-" + preset;
  std::string name = "dinov2-vit-" + preset.substr(3);  // vitl14_reg4 -> dinov2-vit-l14_reg4
  for (char& c : name)
    if (c == '_') c = '-';
  return name;
}

DinoV2Extractor::DinoV2Extractor(const FeatureExtractorOptions& options, const std::string& preset)
    : resize_(parse_resize(options.resize)), device_(options.device), batch_size_(options.batch_size) {
  if (batch_size_ < 1) fail_usage("--extractor-batch-size", "must be at least 1, got {}", batch_size_);
  if (options.weights.empty())
    fail_usage("--extractor-weights",
               "DINOv2 needs its weights file, e.g. dinov2_vitl14_pretrain.pth from facebookresearch/dinov2 "
               "(weights are never downloaded)");
  models::DinoV2LoadOptions load;
  load.expect_preset = preset;
  model_ = models::load_dinov2(options.weights, load, &weights_);
  if (weights_.config.preset == "custom")
    fail(options.weights, "holds a DINOv2-like ViT that is none of the published models (vits14 … vitg14_reg4)");
  model_->to(at::Device(device_));
}

DinoV2Extractor::~DinoV2Extractor() = default;

std::string DinoV2Extractor::name() const {
  return dinov2_extractor_name(weights_.config.preset);
}

std::vector<FeatureOutput> DinoV2Extractor::outputs() const {
  return {{kFeatureCls, weights_.config.embed_dim, "CLS token after the final norm (x_norm_clstoken): FD-DINOv2"}};
}

Features DinoV2Extractor::extract(const at::Tensor& images) {
  check_images(images);
  const int64_t n = images.size(0);
  std::vector<Features> parts;
  {
    compat::TF32Scope no_tf32(false);  // fp32, as for FID (METRICS.md §14)
    c10::InferenceMode inference;
    for (int64_t start = 0; start < n; start += batch_size_) {
      const auto batch = images.narrow(0, start, std::min(batch_size_, n - start)).to(at::Device(device_));
      parts.push_back({{kFeatureCls, model_->forward(prepare_dinov2_input(batch, resize_)).cls.to(at::kCPU)}});
    }
  }
  if (parts.empty()) return {{kFeatureCls, at::zeros({0, weights_.config.embed_dim}, at::kFloat)}};
  return concat_features(parts);  // outside inference mode: ordinary tensors
}

nlohmann::json DinoV2Extractor::protocol() const {
  return {
      {"extractor", name()},
      {"network", "facebookresearch/dinov2 DinoVisionTransformer (torch.hub backbone), CLS after the final norm"},
      {"architecture", weights_.config.to_json()},
      {"weights_sha256", weights_.sha256},
      // No digest of the published files is published (their names carry none): nothing to compare with.
      {"weights_official", nullptr},
      {"input", "uint8 RGB (N, H, W, 3)"},
      {"input_size", kDinoV2InputSize},
      {"resize", resize_name(resize_)},
      {"normalization", "x/255, ImageNet mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)"},
      {"dtype", "float32"},
      {"tf32", false},
      {"outputs", {{kFeatureCls, weights_.config.embed_dim}}},
  };
}

std::unique_ptr<FeatureExtractor> make_dinov2_extractor(const FeatureExtractorOptions& options) {
  return std::make_unique<DinoV2Extractor>(options, "");
}
std::unique_ptr<FeatureExtractor> make_dinov2_vits14_extractor(const FeatureExtractorOptions& options) {
  return std::make_unique<DinoV2Extractor>(options, "vits14");
}
std::unique_ptr<FeatureExtractor> make_dinov2_vitb14_extractor(const FeatureExtractorOptions& options) {
  return std::make_unique<DinoV2Extractor>(options, "vitb14");
}
std::unique_ptr<FeatureExtractor> make_dinov2_vitl14_extractor(const FeatureExtractorOptions& options) {
  return std::make_unique<DinoV2Extractor>(options, "vitl14");
}
std::unique_ptr<FeatureExtractor> make_dinov2_vitg14_extractor(const FeatureExtractorOptions& options) {
  return std::make_unique<DinoV2Extractor>(options, "vitg14");
}

}  // namespace latentlab::metrics
