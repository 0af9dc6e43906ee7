#include "models/autoencoder_kl.h"

#include <map>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <c10/util/StringUtil.h>

#include "core/error.h"
#include "io/tensor_convert.h"
#include "models/autoencoder_kl_net.h"

namespace latentlab::models {
namespace {

constexpr const char* kAutoencoderKLSubject = "autoencoder-kl";

void check_input(const at::Tensor& x, int64_t channels, int64_t factor, const char* what) {
  if (x.dim() != 4 || x.size(1) != channels || x.size(2) % factor != 0 || x.size(3) % factor != 0 || x.size(2) == 0 ||
      x.size(3) == 0)
    fail(kAutoencoderKLSubject, "{} must be N×{}×H×W with H and W positive multiples of {}, got {}", what, channels,
         factor, c10::str(x.sizes()));
  if (!at::isFloatingType(x.scalar_type()))
    fail(kAutoencoderKLSubject, "{} must be floating point, got {}", what, c10::toString(x.scalar_type()));
}

}  // namespace

AutoencoderKL::AutoencoderKL(const AutoencoderKLConfig& config) : config_(config) {
  config_.validate(kAutoencoderKLSubject);
  config_.name_preset();  // a modified preset is "custom"
  net_ = std::make_shared<AutoencoderKLNet>(config_);
}

AutoencoderKL::~AutoencoderKL() = default;
AutoencoderKL::AutoencoderKL(AutoencoderKL&&) noexcept = default;
AutoencoderKL& AutoencoderKL::operator=(AutoencoderKL&&) noexcept = default;

Posterior AutoencoderKL::encode(const at::Tensor& images) const {
  check_input(images, config_.in_channels, config_.downsampling_factor(), "images");
  return DiagonalGaussian::from_moments(net_->encode_moments(images));
}

at::Tensor AutoencoderKL::decode(const at::Tensor& z) const {
  check_input(z, config_.embed_dim, 1, "latents");
  return net_->decode(z);
}

AutoencoderKL::Output AutoencoderKL::forward(const at::Tensor& images, bool sample_posterior,
                                             c10::optional<at::Generator> generator) const {
  Output out;
  out.posterior = encode(images);
  out.z = sample_posterior ? out.posterior.sample(generator) : out.posterior.mode();
  out.reconstruction = decode(out.z);
  return out;
}

torch::nn::Module& AutoencoderKL::module() const {
  return *net_;
}

void AutoencoderKL::to(const c10::Device& device) {
  net_->to(device);
}

c10::Device AutoencoderKL::device() const {
  return net_->quant_conv->weight.device();
}

int64_t AutoencoderKL::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : net_->parameters()) n += p.numel();
  return n;
}

io::NamedArrays AutoencoderKL::state_arrays() const {
  io::NamedArrays out;
  for (const auto& item : net_->named_parameters())
    out.emplace_back(item.key(), io::to_array(item.value().detach().to(at::kCPU, at::kFloat), item.key()));
  return out;
}

void AutoencoderKL::load_state(const io::NamedArrays& tensors, const std::string& subject) {
  auto params = net_->named_parameters();
  std::map<std::string, const io::Array*> given;
  for (const auto& [name, array] : tensors)
    if (!given.emplace(name, &array).second) fail(subject, "tensor '{}' appears twice", name);
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& item : params) {
    auto it = given.find(item.key());
    if (it == given.end()) {
      missing.push_back(item.key());
    } else if (it->second->shape != item.value().sizes().vec()) {
      mismatched.push_back(fmt::format("'{}' (file {}, model {})", item.key(), io::shape_string(it->second->shape),
                                       c10::str(item.value().sizes())));
    }
  }
  for (const auto& [name, array] : tensors)
    if (!params.find(name)) unexpected.push_back(name);
  if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
    std::string text = fmt::format(
        "does not fit AutoencoderKL preset {} ({} missing, {} unexpected, {} with the "
        "wrong shape of {} tensors)",
        config_.preset, missing.size(), unexpected.size(), mismatched.size(), params.size());
    if (!missing.empty()) text += fmt::format("; first missing '{}'", missing.front());
    if (!unexpected.empty()) text += fmt::format("; first unexpected '{}'", unexpected.front());
    if (!mismatched.empty()) text += fmt::format("; first shape mismatch {}", mismatched.front());
    fail(subject, "{}", text);
  }
  at::NoGradGuard no_grad;
  for (auto& item : params) {
    const io::Array& array = *given.at(item.key());
    if (!at::isFloatingType(io::to_scalar_type(array.dtype)))
      fail(subject, "tensor '{}' has dtype {}, expected a floating-point type", item.key(),
           io::dtype_name(array.dtype));
    item.value().copy_(io::to_tensor(array));
  }
}

}  // namespace latentlab::models
