// The FID Inception-v3 ("inception-2015-12-05") as a FeatureExtractor: models/inception_fid.h behind the
// uint8 input protocol of models/inception_fid_input.h. Outputs (docs/METRICS.md §2):
//   pool3            2048  FID, KID, precision/recall, rFID
//   logits_unbiased  1008  Inception Score: softmax over all 1008 classes of pool3 · Wᵀ (no bias)
//   logits           1008  fc with its bias (pytorch-fid's fc; not used by IS)
//   spatial          2023  sFID: TF mixed_6/conv (Mixed_6d 1×1 branch), first 7 channels, NHWC-flattened
// Default resize tf1-bilinear (the TF graph's own; ADM, TTUR, torch-fidelity); torch-bilinear reproduces
// pytorch-fid. Runs in float32 with TF32 off on CUDA. The weights' SHA-256 is computed once, when the
// extractor is made.
#pragma once

#include <memory>

#include "metrics/features/feature_extractor.h"
#include "models/inception_fid_input.h"
#include "models/inception_fid_weights.h"

namespace latentlab::models {
class InceptionFID;
}

namespace latentlab::metrics {

inline constexpr const char* kInceptionExtractorName = "inception-2015-12-05";
inline constexpr const char* kFeaturePool3 = "pool3";
inline constexpr const char* kFeatureLogitsUnbiased = "logits_unbiased";
inline constexpr const char* kFeatureLogits = "logits";
inline constexpr const char* kFeatureSpatial = "spatial";

class InceptionExtractor : public FeatureExtractor {
 public:
  // Loads options.weights onto options.device. Throws UserError for a bad weights file, resize name or
  // batch size (naming the option or file).
  explicit InceptionExtractor(const FeatureExtractorOptions& options);
  ~InceptionExtractor() override;

  std::string name() const override { return kInceptionExtractorName; }
  std::vector<FeatureOutput> outputs() const override;
  Features extract(const at::Tensor& images) override;
  using FeatureExtractor::extract;
  nlohmann::json protocol() const override;

  const models::InceptionWeightsInfo& weights() const { return weights_; }
  models::InceptionResize resize() const { return resize_; }

 private:
  bool channels_last() const;  // the CPU runs the network in NHWC (oneDNN), CUDA as loaded

  std::shared_ptr<models::InceptionFID> model_;
  models::InceptionWeightsInfo weights_;
  models::InceptionResize resize_;
  std::string device_;
  int64_t batch_size_;
};

std::unique_ptr<FeatureExtractor> make_inception_extractor(const FeatureExtractorOptions& options);

}  // namespace latentlab::metrics
