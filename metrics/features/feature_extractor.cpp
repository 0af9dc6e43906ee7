// Shared parts of the FeatureExtractor interface.
#include "metrics/features/feature_extractor.h"

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/options.h"
#include "io/tensor_convert.h"

namespace latentlab::metrics {

#ifdef LATENTLAB_WITH_BOOST
void FeatureExtractorOptions::register_options(OptionGroup& group) {
  group.add("extractor-weights", &weights, "Feature extractor weights file (.pth, .pt or .safetensors)");
  group.add("extractor-batch-size", &batch_size,
            "Images per forward pass of the feature extractor; results do not depend on it");
  group.add("extractor-resize", &resize,
            "Input resize mode of the feature extractor; empty = its default (Inception: "
            "tf1-bilinear; also torch-bilinear, pytorch-fid's. DINOv2: bicubic-antialias, EDM2's; also "
            "pil-bicubic, dgm-eval's, and tf1-bilinear, torch-fidelity's)");
  group.add("features", &features,
            "Feature extractor: empty = the metric's own (the FID Inception; DINOv2 for fd_dinov2), a registry name "
            "(inception-2015-12-05, dinov2-vit-l14, ...), dinov2 (the model the weights hold) or teacher:<spec> "
            "(any teacher, e.g. teacher:procedural:teacher.safetensors; the metric fd-teacher)");
}
#endif

Features FeatureExtractor::extract(const io::Array& images) {
  return extract(io::to_tensor(images));
}

void check_rgb_images(const at::Tensor& images, const std::string& extractor) {
  if (!images.defined() || images.scalar_type() != at::kByte || images.dim() != 4 || images.size(3) != 3 ||
      images.size(1) < 1 || images.size(2) < 1)
    fail("images", "the {} extractor takes uint8 (N, H, W, 3) RGB images, got {} {}", extractor,
         images.defined() ? c10::toString(images.scalar_type()) : "no tensor",
         images.defined() ? io::shape_string(images.sizes().vec()) : "");
}

Features concat_features(const std::vector<Features>& parts) {
  Features out;
  if (parts.empty()) return out;
  for (const auto& [name, first] : parts.front()) {
    std::vector<at::Tensor> pieces;
    pieces.reserve(parts.size());
    for (const auto& part : parts) {
      const auto found = part.find(name);
      LATENTLAB_ASSERT(found != part.end(), "feature batch without output '{}'", name);
      pieces.push_back(found->second);
    }
    out[name] = at::cat(pieces, 0);
  }
  return out;
}

}  // namespace latentlab::metrics
