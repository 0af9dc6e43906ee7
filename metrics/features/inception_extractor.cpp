// The FID Inception behind the FeatureExtractor interface (see the header).
#include "metrics/features/inception_extractor.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>

#include "core/compat.h"
#include "core/error.h"
#include "models/inception_fid.h"

namespace latentlab::metrics {
InceptionExtractor::InceptionExtractor(const FeatureExtractorOptions& options)
    : resize_(options.resize.empty() ? models::InceptionResize::TF1Bilinear
                                     : models::parse_resize(options.resize, "--extractor-resize")),
      device_(options.device),
      batch_size_(options.batch_size) {
  if (batch_size_ < 1) fail_usage("--extractor-batch-size", "must be at least 1, got {}", batch_size_);
  if (options.weights.empty()) {
    fail_usage("--extractor-weights",
               "{} needs its weights file, e.g. pytorch-fid's "
               "pt_inception-2015-12-05-6726825d.pth (weights are never downloaded)",
               kInceptionExtractorName);
  }
  model_ = std::make_shared<models::InceptionFID>();
  model_->eval();
  weights_ = models::load_inception_fid_weights(*model_, options.weights);
  model_->to(at::Device(device_));
  if (channels_last()) {
    // oneDNN runs NHWC convolutions without reordering activations and weights at every layer: 1.2–2× the
    // NCHW network on the CPU (docs/benchmarks.md, end-to-end FID). Features move by ~1e-5 at most.
    c10::NoGradGuard no_grad;
    for (auto& p : model_->parameters())
      if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
  }
  // Batch norms folded into the convolutions, on every device: conv-with-bias → ReLU instead of conv → BN →
  // ReLU (docs/metrics.md "Speed"; features within float32 rounding of the unfolded network).
  model_->fold_batch_norms(true);
}

bool InceptionExtractor::channels_last() const {
  return at::Device(device_).is_cpu();
}

InceptionExtractor::~InceptionExtractor() = default;

std::vector<FeatureOutput> InceptionExtractor::outputs() const {
  return {
      {kFeaturePool3, models::kInceptionPool3Dim, "2048-d global average pool (TF pool_3): FID, KID, P/R"},
      {kFeatureLogitsUnbiased, models::kInceptionLogitsDim,
       "pool3 · Wᵀ without the fc bias (TF softmax/logits/MatMul): IS, softmax over all 1008 classes"},
      {kFeatureLogits, models::kInceptionLogitsDim, "fc output with its bias (pytorch-fid's fc)"},
      {kFeatureSpatial, models::kInceptionSpatialDim,
       "TF mixed_6/conv (Mixed_6d 1×1 branch) first 7 channels, 17×17×7 NHWC-flattened: sFID"},
  };
}

Features InceptionExtractor::extract(const at::Tensor& images) {
  models::check_inception_images(images);
  const int64_t n = images.size(0);
  std::vector<Features> parts;
  {
    compat::TF32Scope no_tf32(false);  // fp32 (METRICS.md: TF32 is a known source of FID drift)
    c10::InferenceMode inference;
    for (int64_t start = 0; start < n; start += batch_size_) {
      const auto batch = images.narrow(0, start, std::min(batch_size_, n - start)).to(at::Device(device_));
      const auto out = model_->forward(channels_last() ? models::prepare_inception_input_channels_last(batch, resize_)
                                                       : models::prepare_inception_input(batch, resize_));
      parts.push_back({{kFeaturePool3, out.pool3.to(at::kCPU).contiguous()},
                       {kFeatureLogitsUnbiased, out.logits_unbiased.to(at::kCPU).contiguous()},
                       {kFeatureLogits, out.logits.to(at::kCPU).contiguous()},
                       {kFeatureSpatial, out.spatial.to(at::kCPU).contiguous()}});
    }
  }
  if (parts.empty()) {
    Features empty;
    for (const auto& output : outputs()) empty[output.name] = at::zeros({0, output.dim}, at::kFloat);
    return empty;
  }
  return concat_features(parts);  // outside inference mode: ordinary tensors
}

nlohmann::json InceptionExtractor::protocol() const {
  nlohmann::json dims = nlohmann::json::object();
  for (const auto& output : outputs()) dims[output.name] = output.dim;
  return {
      {"extractor", kInceptionExtractorName},
      {"network", "TF inception-2015-12-05 graph as ported by pytorch-fid (FIDInceptionA/C/E, 1008-way fc)"},
      {"weights_sha256", weights_.sha256},
      {"weights_official", weights_.official},
      // Only the 8-hex prefix of the official file's SHA-256 is published (its file name).
      {"weights_official_check", std::string("sha256 prefix ") + models::kInceptionOfficialSha256Prefix},
      {"input", "uint8 RGB (N, H, W, 3)"},
      {"input_size", models::kInceptionInputSize},
      {"resize", models::resize_name(resize_)},
      {"normalization", models::normalization_name(resize_)},
      {"dtype", "float32"},
      {"tf32", false},
      {"outputs", dims},
      {"is_softmax", "all 1008 classes of logits_unbiased"},
      {"spatial_layer", "mixed_6/conv = Mixed_6d.branch1x1 (after ReLU), channels 0-6, NHWC flatten"},
  };
}

std::unique_ptr<FeatureExtractor> make_inception_extractor(const FeatureExtractorOptions& options) {
  return std::make_unique<InceptionExtractor>(options);
}

}  // namespace latentlab::metrics
