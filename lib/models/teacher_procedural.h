// The procedural teacher (spec `procedural:<weights>`): a small convolutional network that `latentlab
// train-teacher` trains on the procedural shapes dataset's coarse factors only (shape and hue), a stand-in for
// a foundation model in offline runs without published weights (docs/teachers.md). Its tokens know shape and
// colour because it was taught them, and fine factors only as far as they survive a network that was not
// asked for them.
//
//   body     `levels` × [Conv 3×3 stride 2 (pad 1) → GroupNorm → SiLU], channels c, 2c, 4c, …,
//            then `blocks` × [Conv 3×3 stride 1 → GroupNorm → SiLU] (more context per token), then Conv 1×1
//            → `width`
//   tokens   the (B, width, r/2^levels, r/2^levels) map, adaptively average-pooled to the requested grid
//   heads    one Linear(width → classes) per taught factor on the spatial mean of the tokens (training only)
// Input: [−1, 1] images at the training resolution; other sizes are resized to it (bilinear, antialiased
// when shrinking). Names: body.N.{weight,bias}, heads.N.{weight,bias}; the config is the safetensors
// metadata key "latentlab.procedural_teacher" (JSON), so loading needs no options.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include "models/teacher.h"

namespace latentlab::models {

inline constexpr const char* kProceduralTeacherMetadataKey = "latentlab.procedural_teacher";

struct ProceduralTeacherConfig {
  int64_t resolution = 64;  // training image side
  int64_t channels = 32;    // c, doubled at every level
  int64_t levels = 3;       // stride-2 convolutions: token grid = resolution / 2^levels
  int64_t blocks = 1;       // stride-1 convolutions after the last level (receptive field for shape)
  int64_t width = 64;       // D, the token width
  int64_t groups = 8;       // GroupNorm groups
  std::vector<std::string> factors{"shape", "hue"};  // the taught factors, one head each
  std::vector<int64_t> classes{4, 8};                // values per taught factor
  std::string dataset;                               // the training data's spec (informational)

  int64_t grid() const { return resolution >> levels; }
  // UserError naming `subject` for sizes no network can be built from.
  void validate(const std::string& subject) const;
  std::string to_json_string() const;
  static ProceduralTeacherConfig from_json_string(const std::string& text, const std::string& subject);
};

class ProceduralTeacherNetImpl : public torch::nn::Module {
 public:
  explicit ProceduralTeacherNetImpl(const ProceduralTeacherConfig& config);

  const ProceduralTeacherConfig& config() const { return config_; }
  // images (B, 3, r, r) in [−1, 1] at the training resolution -> (B, width, grid, grid).
  at::Tensor token_map(const at::Tensor& images);
  // One (B, classes) logit tensor per taught factor, from a token map.
  std::vector<at::Tensor> head_logits(const at::Tensor& token_map);

 private:
  ProceduralTeacherConfig config_;
  torch::nn::Sequential body_{nullptr};
  torch::nn::ModuleList heads_{nullptr};
};
TORCH_MODULE(ProceduralTeacherNet);

// Writes weights + config (safetensors, atomically). `extra` metadata (e.g. accuracies) is added as is.
void save_procedural_teacher(const std::string& path, ProceduralTeacherNet& net,
                             const std::vector<std::pair<std::string, std::string>>& extra = {});
// Reads a file save_procedural_teacher wrote; UserError naming `path` for anything else.
ProceduralTeacherNet load_procedural_teacher(const std::string& path);

class ProceduralTeacher : public Teacher {
 public:
  // `identity` is what identity() returns (empty: the description).
  ProceduralTeacher(ProceduralTeacherNet net, std::string description, std::string identity = {});
  static std::unique_ptr<ProceduralTeacher> load(const std::string& path);

  at::Tensor patch_tokens(const at::Tensor& images, int64_t grid_h, int64_t grid_w) override;
  int64_t width() const override { return net_->config().width; }
  std::string description() const override { return description_; }
  std::string identity() const override { return identity_.empty() ? description_ : identity_; }
  void to(const c10::Device& device) override { net_->to(device); }

 private:
  ProceduralTeacherNet net_;
  std::string description_, identity_;
};

}  // namespace latentlab::models
