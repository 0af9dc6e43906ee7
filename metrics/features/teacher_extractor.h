// Any Teacher (models/teacher.h) as a FeatureExtractor, for a Fréchet distance that needs no published weights:
// `--features teacher:<spec>` with the metric `fd-teacher` (never called FID). `make demo` has no Inception
// weights, so it scores samples on the procedural teacher that `latentlab train-teacher` trains.
//
// One output:
//   patch_mean  D  the mean over the teacher's patch tokens on a kTeacherFeatureGrid² grid (the global feature)
// Input: uint8 (N, H, W, 3) → x/127.5 − 1 ([−1, 1], the teachers' input range) → the teacher's own resize and
// normalisation (docs/teachers.md). Grid 16 is DINOv2's 224² input (REPA's); for the procedural and TorchScript
// teachers, whose token maps are pooled to the grid by area (repeated when the map is coarser), the mean over
// 16² cells equals the mean over the map whenever one side divides the other (power-of-two maps), so the
// feature is the map's plain spatial mean. A TorchScript map of another side is bilinearly resampled first.
// A DINOv2 teacher here is not FD-DINOv2: its input is REPA's bicubic resize and the feature is the patch mean,
// not the CLS token (that metric is `fd_dinov2`).
// The protocol records the spec, the teacher's description and the SHA-256 of its weights file (read from the
// description every teacher ends with "sha256 <hex>"), so that only sets of the same weights are compared.
#pragma once

#include <memory>
#include <string>

#include "metrics/features/feature_extractor.h"

namespace latentlab::models {
class Teacher;
}

namespace latentlab::metrics {

inline constexpr const char* kTeacherFeaturesPrefix = "teacher:";
inline constexpr const char* kTeacherExtractorPrefix = "teacher-";  // names: teacher-procedural, -dinov2, …
inline constexpr const char* kFeatureTeacherMean = "patch_mean";
inline constexpr int64_t kTeacherFeatureGrid = 16;

class TeacherExtractor : public FeatureExtractor {
 public:
  // `spec`: a make_teacher spec (without "teacher:"). UserError naming --features for an empty spec, and
  // naming --extractor-weights / --extractor-resize when those are given (the spec holds the weights, the
  // teacher its preparation); the teacher's own errors name `teacher` or its file.
  TeacherExtractor(const std::string& spec, const FeatureExtractorOptions& options);
  ~TeacherExtractor() override;

  std::string name() const override;  // "teacher-" + the spec's kind
  std::vector<FeatureOutput> outputs() const override;
  Features extract(const at::Tensor& images) override;
  using FeatureExtractor::extract;
  nlohmann::json protocol() const override;

  const std::string& weights_sha256() const { return sha256_; }

 private:
  std::string spec_, kind_, sha256_;
  std::unique_ptr<models::Teacher> teacher_;
  std::string device_;
  int64_t batch_size_;
};

// `features` = "teacher:<spec>".
std::unique_ptr<FeatureExtractor> make_teacher_extractor(const std::string& features,
                                                         const FeatureExtractorOptions& options);

}  // namespace latentlab::metrics
