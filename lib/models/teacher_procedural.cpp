#include "models/teacher_procedural.h"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (fmt 11 moved it here)
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "core/error.h"
#include "io/safetensors.h"
#include "io/sha256.h"
#include "io/weights.h"
#include "models/module_state.h"
#include "models/teacher_grid.h"

namespace latentlab::models {
namespace nn = torch::nn;

void ProceduralTeacherConfig::validate(const std::string& subject) const {
  if (levels < 1 || levels > 6) fail_usage(subject, "levels must be in 1..6, got {}", levels);
  if (resolution < 8 || resolution % (int64_t{1} << levels) != 0)
    fail_usage(subject, "resolution {} must be a multiple of 2^levels = {} and >= 8", resolution, int64_t{1} << levels);
  if (blocks < 0 || blocks > 8) fail_usage(subject, "blocks must be in 0..8, got {}", blocks);
  if (channels < 1 || width < 1 || groups < 1)
    fail_usage(subject, "channels, width and groups must be positive, got {}, {}, {}", channels, width, groups);
  if (channels % groups != 0) fail_usage(subject, "channels {} must be a multiple of groups {}", channels, groups);
  if (factors.empty() || factors.size() != classes.size())
    fail_usage(subject, "needs one class count per taught factor, got {} factors and {} counts", factors.size(),
               classes.size());
  for (size_t i = 0; i < classes.size(); ++i)
    if (classes[i] < 2) fail_usage(subject, "factor '{}' needs at least 2 classes, got {}", factors[i], classes[i]);
}

std::string ProceduralTeacherConfig::to_json_string() const {
  return nlohmann::json{{"resolution", resolution}, {"channels", channels}, {"levels", levels},
                        {"blocks", blocks},         {"width", width},       {"groups", groups},
                        {"factors", factors},       {"classes", classes},   {"dataset", dataset}}
      .dump();
}

ProceduralTeacherConfig ProceduralTeacherConfig::from_json_string(const std::string& text, const std::string& subject) {
  ProceduralTeacherConfig c;
  try {
    const auto j = nlohmann::json::parse(text);
    c.resolution = j.at("resolution").get<int64_t>();
    c.channels = j.at("channels").get<int64_t>();
    c.levels = j.at("levels").get<int64_t>();
    c.blocks = j.value("blocks", int64_t{1});
    c.width = j.at("width").get<int64_t>();
    c.groups = j.at("groups").get<int64_t>();
    c.factors = j.at("factors").get<std::vector<std::string>>();
    c.classes = j.at("classes").get<std::vector<int64_t>>();
    c.dataset = j.value("dataset", "");
  } catch (const nlohmann::json::exception& e) {
    fail(subject, "malformed procedural teacher config: {}", e.what());
  }
  c.validate(subject);
  return c;
}

ProceduralTeacherNetImpl::ProceduralTeacherNetImpl(const ProceduralTeacherConfig& config) : config_(config) {
  config_.validate("procedural teacher");
  nn::Sequential body;
  int64_t in = 3, out = config_.channels;
  auto block = [&](int64_t from, int64_t to, int64_t stride) {
    body->push_back(nn::Conv2d(nn::Conv2dOptions(from, to, 3).stride(stride).padding(1)));
    body->push_back(nn::GroupNorm(nn::GroupNormOptions(config_.groups, to)));
    body->push_back(nn::SiLU());
  };
  for (int64_t level = 0; level < config_.levels; ++level, in = out, out *= 2) block(in, out, 2);
  for (int64_t b = 0; b < config_.blocks; ++b) block(in, in, 1);
  body->push_back(nn::Conv2d(nn::Conv2dOptions(in, config_.width, 1)));
  body_ = register_module("body", body);
  nn::ModuleList heads;
  for (int64_t classes : config_.classes) heads->push_back(nn::Linear(config_.width, classes));
  heads_ = register_module("heads", heads);
}

at::Tensor ProceduralTeacherNetImpl::token_map(const at::Tensor& images) {
  return body_->forward(images);
}

std::vector<at::Tensor> ProceduralTeacherNetImpl::head_logits(const at::Tensor& token_map) {
  const at::Tensor pooled = token_map.mean({2, 3});
  std::vector<at::Tensor> logits;
  for (const auto& head : *heads_) logits.push_back(head->as<nn::Linear>()->forward(pooled));
  return logits;
}

void save_procedural_teacher(const std::string& path, ProceduralTeacherNet& net,
                             const std::vector<std::pair<std::string, std::string>>& extra) {
  std::map<std::string, std::string> metadata{{"format", "pt"},
                                              {"producer", "latentlab train-teacher"},
                                              {kProceduralTeacherMetadataKey, net->config().to_json_string()}};
  for (const auto& [key, value] : extra) metadata[key] = value;
  io::write_safetensors(path, module_state_arrays(*net), metadata);  // atomic (io/atomic_file.h)
}

ProceduralTeacherNet load_procedural_teacher(const std::string& path) {
  const io::WeightsFile file = io::load_weights(path);
  const auto it = file.metadata.find(kProceduralTeacherMetadataKey);
  if (it == file.metadata.end())
    fail(path, "not a procedural teacher: no '{}' metadata (write it with `latentlab train-teacher`)",
         kProceduralTeacherMetadataKey);
  ProceduralTeacherNet net(ProceduralTeacherConfig::from_json_string(it->second, path));
  load_module_state(*net, file.arrays, path, "procedural teacher");
  net->eval();
  return net;
}

ProceduralTeacher::ProceduralTeacher(ProceduralTeacherNet net, std::string description, std::string identity)
    : net_(std::move(net)), description_(std::move(description)), identity_(std::move(identity)) {
  net_->eval();
  for (auto& p : net_->parameters()) p.set_requires_grad(false);
}

std::unique_ptr<ProceduralTeacher> ProceduralTeacher::load(const std::string& path) {
  auto net = load_procedural_teacher(path);
  const auto& c = net->config();
  const std::string shape = fmt::format("(r{} c{} l{} d{}, taught {}) sha256 {}", c.resolution, c.channels, c.levels,
                                        c.width, fmt::join(c.factors, "+"), io::sha256_file(path));
  return std::make_unique<ProceduralTeacher>(net, fmt::format("procedural {} {}", path, shape), "procedural " + shape);
}

at::Tensor ProceduralTeacher::patch_tokens(const at::Tensor& images, int64_t grid_h, int64_t grid_w) {
  check_teacher_grid(grid_h, grid_w);
  at::NoGradGuard no_grad;
  const int64_t r = net_->config().resolution;
  at::Tensor x = images;
  if (x.size(2) != r || x.size(3) != r) {
    const std::vector<int64_t> size{r, r};
    x = x.size(2) > r || x.size(3) > r ? at::_upsample_bilinear2d_aa(x, at::IntArrayRef(size), false)
                                       : at::upsample_bilinear2d(x, at::IntArrayRef(size), false);
  }
  const std::vector<int64_t> grid{grid_h, grid_w};
  return map_to_tokens(at::adaptive_avg_pool2d(net_->token_map(x), grid));
}

}  // namespace latentlab::models
