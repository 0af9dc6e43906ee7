#include "models/patchgan.h"

#include <algorithm>
#include <regex>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <c10/util/StringUtil.h>
#include <torch/nn/init.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "models/module_state.h"

namespace latentlab::models {
namespace {

constexpr const char* kPatchGANSubject = "patchgan";

torch::nn::Conv2d patchgan_conv(int64_t in, int64_t out, int64_t stride, bool bias) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 4).stride(stride).padding(1).bias(bias));
}

torch::nn::LeakyReLU leaky() {
  return torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.2));
}

}  // namespace

// The module tree: one Sequential named "main", so named_parameters() gives taming's keys.
class PatchGANNet : public torch::nn::Module {
 public:
  explicit PatchGANNet(const PatchGANConfig& c) {
    torch::nn::Sequential seq;
    seq->push_back(patchgan_conv(c.in_channels, c.ndf, 2, true));
    seq->push_back(leaky());
    int64_t mult = 1;
    for (int64_t n = 1; n <= c.n_layers; ++n) {
      const int64_t previous = mult;
      mult = std::min<int64_t>(int64_t{1} << n, 8);
      const int64_t stride = n < c.n_layers ? 2 : 1;  // the last block keeps the resolution
      seq->push_back(patchgan_conv(c.ndf * previous, c.ndf * mult, stride, false));
      seq->push_back(torch::nn::BatchNorm2d(c.ndf * mult));
      seq->push_back(leaky());
    }
    seq->push_back(patchgan_conv(c.ndf * mult, 1, 1, true));
    main = register_module("main", seq);
    init_weights();
  }

  // taming's weights_init.
  void init_weights() {
    at::NoGradGuard no_grad;
    for (const auto& child : main->children()) {
      if (auto* c = child->as<torch::nn::Conv2d>()) {
        torch::nn::init::normal_(c->weight, 0.0, 0.02);
      } else if (auto* bn = child->as<torch::nn::BatchNorm2d>()) {
        torch::nn::init::normal_(bn->weight, 1.0, 0.02);
        torch::nn::init::zeros_(bn->bias);
      }
    }
  }

  torch::nn::Sequential main{nullptr};
};

void PatchGANConfig::validate(const std::string& subject) const {
  if (in_channels < 1 || ndf < 1 || n_layers < 1 || n_layers > 16)
    fail(subject, "invalid PatchGAN config: in_channels {}, ndf {}, n_layers {} (need ≥ 1, n_layers ≤ 16)", in_channels,
         ndf, n_layers);
}

int64_t PatchGANConfig::min_input_side() const {
  return 3 * (int64_t{1} << n_layers);
}

std::string PatchGANConfig::to_json_string() const {
  return nlohmann::json{{"in_channels", in_channels}, {"ndf", ndf}, {"n_layers", n_layers}}.dump();
}

PatchGANConfig PatchGANConfig::from_json_string(const std::string& text, const std::string& subject) {
  const auto json = nlohmann::json::parse(text, nullptr, false);
  PatchGANConfig c;
  try {
    if (!json.is_object()) fail(subject, "PatchGAN config is not a JSON object");
    c.in_channels = json.at("in_channels").get<int64_t>();
    c.ndf = json.at("ndf").get<int64_t>();
    c.n_layers = json.at("n_layers").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    fail(subject, "bad PatchGAN config JSON: {}", e.what());
  }
  c.validate(subject);
  return c;
}

PatchGANConfig PatchGANConfig::from_weights(const io::NamedArrays& tensors, const std::string& subject) {
  static const std::regex conv_weight(R"(main\.(\d+)\.weight)");
  PatchGANConfig c;
  int64_t convs = 0;
  bool first = false;
  for (const auto& [name, array] : tensors) {
    if (!std::regex_match(name, conv_weight) || array.shape.size() != 4) continue;
    ++convs;
    if (name == "main.0.weight") {
      first = true;
      c.ndf = array.shape[0];
      c.in_channels = array.shape[1];
    }
  }
  if (!first) fail(subject, "no 4-D tensor main.0.weight: not a PatchGAN discriminator");
  c.n_layers = convs - 2;
  c.validate(subject);
  return c;
}

PatchGANDiscriminator::PatchGANDiscriminator(const PatchGANConfig& config) : config_(config) {
  config_.validate(kPatchGANSubject);
  net_ = std::make_shared<PatchGANNet>(config_);
}

PatchGANDiscriminator::~PatchGANDiscriminator() = default;
PatchGANDiscriminator::PatchGANDiscriminator(PatchGANDiscriminator&&) noexcept = default;
PatchGANDiscriminator& PatchGANDiscriminator::operator=(PatchGANDiscriminator&&) noexcept = default;

at::Tensor PatchGANDiscriminator::forward(const at::Tensor& images) const {
  const int64_t side = config_.min_input_side();
  if (images.dim() != 4 || images.size(1) != config_.in_channels || images.size(2) < side || images.size(3) < side)
    fail(kPatchGANSubject, "images must be N×{}×H×W with H, W ≥ {}, got {}", config_.in_channels, side,
         c10::str(images.sizes()));
  if (!batch_norm_ || !net_->is_training()) return net_->main->forward(images);
  at::Tensor x = images;
  for (auto& layer : *net_->main) {
    auto* norm = layer.ptr()->as<torch::nn::BatchNorm2d>();
    x = norm ? batch_norm_(*norm, x) : layer.forward(x);
  }
  return x;
}

void PatchGANDiscriminator::train(bool on) {
  net_->train(on);
}

bool PatchGANDiscriminator::is_training() const {
  return net_->is_training();
}

torch::nn::Module& PatchGANDiscriminator::module() const {
  return *net_;
}

void PatchGANDiscriminator::to(const c10::Device& device) {
  net_->to(device);
}

int64_t PatchGANDiscriminator::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : net_->parameters()) n += p.numel();
  return n;
}

io::NamedArrays PatchGANDiscriminator::state_arrays() const {
  return module_state_arrays(*net_);
}

void PatchGANDiscriminator::load_state(const io::NamedArrays& tensors, const std::string& subject) {
  load_module_state(*net_, tensors, subject,
                    fmt::format("PatchGAN discriminator (in {}, ndf {}, {} layers)", config_.in_channels, config_.ndf,
                                config_.n_layers),
                    ".num_batches_tracked");
}

}  // namespace latentlab::models
