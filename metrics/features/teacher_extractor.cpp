// A Teacher behind the FeatureExtractor interface (see the header).
#include "metrics/features/teacher_extractor.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include "core/error.h"
#include "models/teacher.h"

namespace latentlab::metrics {
namespace {

// Every teacher's description ends with "sha256 <64 hex digits>" (models/teacher.h).
std::string sha256_of(const std::string& description) {
  const auto at = description.rfind("sha256 ");
  const std::string hex = at == std::string::npos ? "" : description.substr(at + 7);
  LATENTLAB_ASSERT(hex.size() == 64 && hex.find_first_not_of("0123456789abcdef") == std::string::npos,
                   "teacher description without a trailing SHA-256: '{}'", description);
  return hex;
}

}  // namespace

TeacherExtractor::TeacherExtractor(const std::string& spec, const FeatureExtractorOptions& options)
    : spec_(spec), kind_(spec.substr(0, spec.find(':'))), device_(options.device), batch_size_(options.batch_size) {
  if (spec_.empty())
    fail_usage("--features", "'teacher:' needs a teacher spec, e.g. teacher:procedural:teacher.safetensors");
  if (batch_size_ < 1) fail_usage("--extractor-batch-size", "must be at least 1, got {}", batch_size_);
  if (!options.weights.empty())
    fail_usage("--extractor-weights", "is not used with --features teacher:… (the teacher spec names its weights)");
  if (!options.resize.empty())
    fail_usage("--extractor-resize", "is not used with --features teacher:… (a teacher prepares its own input)");
  teacher_ = models::make_teacher(spec_);
  teacher_->to(at::Device(device_));
  sha256_ = sha256_of(teacher_->description());
}

TeacherExtractor::~TeacherExtractor() = default;

std::string TeacherExtractor::name() const {
  return kTeacherExtractorPrefix + kind_;
}

std::vector<FeatureOutput> TeacherExtractor::outputs() const {
  return {{kFeatureTeacherMean, teacher_->width(),
           "mean of the teacher's patch tokens on a 16x16 grid: fd-teacher (offline stand-in for FD-DINOv2)"}};
}

Features TeacherExtractor::extract(const at::Tensor& images) {
  check_rgb_images(images, "teacher");
  const int64_t n = images.size(0);
  std::vector<Features> parts;
  c10::NoGradGuard no_grad;
  for (int64_t start = 0; start < n; start += batch_size_) {
    const at::Tensor batch = images.narrow(0, start, std::min(batch_size_, n - start)).to(at::Device(device_));
    const at::Tensor x = batch.permute({0, 3, 1, 2}).to(at::kFloat).div(127.5).sub(1.0).contiguous();
    const at::Tensor tokens = teacher_->patch_tokens(x, kTeacherFeatureGrid, kTeacherFeatureGrid);
    parts.push_back({{kFeatureTeacherMean, tokens.mean(1).to(at::kCPU, at::kFloat).contiguous()}});
  }
  if (parts.empty()) return {{kFeatureTeacherMean, at::zeros({0, teacher_->width()}, at::kFloat)}};
  return concat_features(parts);
}

nlohmann::json TeacherExtractor::protocol() const {
  return {
      {"extractor", name()},
      {"teacher_spec", spec_},
      {"teacher", teacher_->description()},
      {"weights_sha256", sha256_},
      {"weights_official", nullptr},  // a teacher has no official file: fd-teacher is never FID
      {"input", "uint8 RGB (N, H, W, 3)"},
      {"normalization", "x/127.5 - 1, then the teacher's own"},
      {"resize", "teacher"},  // the teacher's own preparation, named in `teacher`
      {"grid", kTeacherFeatureGrid},
      {"pooling", "mean over the grid's patch tokens"},
      {"dtype", "float32"},
      {"outputs", {{kFeatureTeacherMean, teacher_->width()}}},
  };
}

std::unique_ptr<FeatureExtractor> make_teacher_extractor(const std::string& features,
                                                         const FeatureExtractorOptions& options) {
  LATENTLAB_ASSERT(features.rfind(kTeacherFeaturesPrefix, 0) == 0, "not a teacher features spec: {}", features);
  return std::make_unique<TeacherExtractor>(features.substr(std::string(kTeacherFeaturesPrefix).size()), options);
}

}  // namespace latentlab::metrics
