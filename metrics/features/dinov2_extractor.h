// DINOv2 as a FeatureExtractor for FD-DINOv2 (docs/METRICS.md §8): models/dinov2.h behind a uint8 input
// protocol. One output:
//   cls  D (1024 for ViT-L/14)  x_norm_clstoken, the CLS token after the final norm: FD-DINOv2
// Input protocol (resize modes, never inferred, always recorded):
//   bicubic-antialias (default)  EDM2 `calculate_metrics.py` DINOv2Detector resize_mode='torch':
//       x.float() (0..255) → F.interpolate(size=(224, 224), mode='bicubic', antialias=True) → /255 →
//       (x − mean)/std with ImageNet mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225); no clamp or
//       rounding after the resize. EDM2 calls it "almost the same" as dgm-eval's PIL bicubic (next).
//   pil-bicubic  dgm-eval's DINOv2 transform: torchvision Resize((224, 224), BICUBIC) on the PIL image, i.e.
//       Pillow's bicubic (metrics/features/pil_resize.h, bit-exact: a = −0.5, antialiased when shrinking, uint8
//       result) → /255 → the same mean/std. Computed on the CPU.
//   tf1-bilinear  torch-fidelity `dinov2-vit-*`: TF-1.x bilinear to 224 (models/inception_fid_input.h), then
//       the same /255 and mean/std. Not the EDM2/dgm-eval FD-DINOv2; here for torch-fidelity's numbers.
// The model runs at 224² (a 16×16 patch grid, position embeddings resampled from 37×37) in float32 with
// TF32 off. Registered names: dinov2-vit-s14, -b14, -l14, -g14 (each checks that the weights are that
// model); make_dinov2_extractor accepts any of them (and the *_reg4 models) and names itself after the
// architecture the weights hold.
#pragma once

#include <memory>
#include <string>

#include "metrics/features/feature_extractor.h"
#include "models/dinov2_weights.h"

namespace latentlab::models {
class DinoV2;
}

namespace latentlab::metrics {

inline constexpr const char* kFeatureCls = "cls";
inline constexpr int64_t kDinoV2InputSize = 224;

enum class DinoV2Resize { BicubicAntialias, TF1Bilinear, PilBicubic };

class DinoV2Extractor : public FeatureExtractor {
 public:
  // Loads options.weights onto options.device; `preset` ("vitl14", …) or "" for whatever the weights hold.
  // Throws UserError for a missing or bad weights file, another model than `preset`, a bad resize name or
  // batch size (naming the option or file).
  DinoV2Extractor(const FeatureExtractorOptions& options, const std::string& preset);
  ~DinoV2Extractor() override;

  std::string name() const override;  // "dinov2-vit-l14", "dinov2-vit-s14-reg4"
  std::vector<FeatureOutput> outputs() const override;
  Features extract(const at::Tensor& images) override;
  using FeatureExtractor::extract;
  nlohmann::json protocol() const override;

  const models::DinoV2WeightsInfo& weights() const { return weights_; }

 private:
  std::shared_ptr<models::DinoV2> model_;
  models::DinoV2WeightsInfo weights_;
  DinoV2Resize resize_;
  std::string device_;
  int64_t batch_size_;
};

// images: (N, H, W, 3) uint8 → (N, 3, 224, 224) float32, ImageNet-normalised, on the images' device.
at::Tensor prepare_dinov2_input(const at::Tensor& images, DinoV2Resize mode);

// The registry's name for a DINOv2 preset: "vitl14" → "dinov2-vit-l14", "vits14_reg4" → "dinov2-vit-s14-reg4".
std::string dinov2_extractor_name(const std::string& preset);

// Any published DINOv2 (the architecture read from the weights): what `metrics --metrics fd_dinov2` uses.
std::unique_ptr<FeatureExtractor> make_dinov2_extractor(const FeatureExtractorOptions& options);
std::unique_ptr<FeatureExtractor> make_dinov2_vits14_extractor(const FeatureExtractorOptions& options);
std::unique_ptr<FeatureExtractor> make_dinov2_vitb14_extractor(const FeatureExtractorOptions& options);
std::unique_ptr<FeatureExtractor> make_dinov2_vitl14_extractor(const FeatureExtractorOptions& options);
std::unique_ptr<FeatureExtractor> make_dinov2_vitg14_extractor(const FeatureExtractorOptions& options);

}  // namespace latentlab::metrics
