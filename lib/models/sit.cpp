#include "models/sit.h"

#include <map>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <c10/util/StringUtil.h>

#include "core/error.h"
#include "io/tensor_convert.h"
#include "models/sit_net.h"

namespace latentlab::models {
namespace {

constexpr const char* kSiTSubject = "sit";

void check_inputs(const SiTConfig& c, const at::Tensor& x, const at::Tensor& t, const at::Tensor& labels) {
  if (x.dim() != 4 || x.size(1) != c.in_channels || x.size(2) != c.input_size || x.size(3) != c.input_size ||
      x.size(0) == 0)
    fail(kSiTSubject, "latents must be N×{}×{}×{} with N >= 1, got {}", c.in_channels, c.input_size, c.input_size,
         c10::str(x.sizes()));
  if (!at::isFloatingType(x.scalar_type()))
    fail(kSiTSubject, "latents must be floating point, got {}", c10::toString(x.scalar_type()));
  const int64_t n = x.size(0);
  if (t.dim() != 1 || t.size(0) != n || !at::isFloatingType(t.scalar_type()))
    fail(kSiTSubject, "t must be a floating-point vector of {} times, got {} {}", n, c10::toString(t.scalar_type()),
         c10::str(t.sizes()));
  if (labels.dim() != 1 || labels.size(0) != n || at::isFloatingType(labels.scalar_type()) ||
      labels.scalar_type() == at::kBool)
    fail(kSiTSubject, "labels must be an integer vector of {} classes, got {} {}", n,
         c10::toString(labels.scalar_type()), c10::str(labels.sizes()));
  const int64_t low = labels.min().item<int64_t>(), high = labels.max().item<int64_t>();
  if (low < 0 || high > c.num_classes)
    fail(kSiTSubject, "labels must lie in [0, {}] ({} = the null class), got values in [{}, {}]", c.num_classes,
         c.num_classes, low, high);
}

}  // namespace

SiT::SiT(const SiTConfig& config) : config_(config) {
  config_.validate(kSiTSubject);
  config_.name_preset();  // a modified preset is "custom"
  net_ = std::make_shared<SiTNet>(config_);
}

SiT::~SiT() = default;
SiT::SiT(SiT&&) noexcept = default;
SiT& SiT::operator=(SiT&&) noexcept = default;

at::Tensor SiT::drop_labels(const at::Tensor& labels, const SiTForwardOptions& options) const {
  const int64_t n = labels.size(0);
  at::Tensor drop;
  if (options.force_drop.defined()) {
    if (options.force_drop.dim() != 1 || options.force_drop.size(0) != n)
      fail(kSiTSubject, "force_drop must be a vector of {} flags, got {}", n, c10::str(options.force_drop.sizes()));
    drop = options.force_drop.to(labels.device()) != 0;
  } else if (options.label_dropout && config_.class_dropout_prob > 0) {
    drop = (at::rand({n}, *options.label_dropout, at::TensorOptions().dtype(at::kFloat)) < config_.class_dropout_prob)
               .to(labels.device());
  }
  if (!drop.defined()) return labels;
  return at::where(drop, at::full_like(labels, null_class()), labels);
}

SiT::Output SiT::forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& labels,
                         const SiTForwardOptions& options) const {
  check_inputs(config_, x, t, labels);
  SiTNet::Output out = net_->forward(x, t, drop_labels(labels.to(at::kLong), options), options.project);
  return {out.prediction, out.projections};
}

at::Tensor SiT::forward_with_guidance(const at::Tensor& x, const at::Tensor& t, const at::Tensor& labels,
                                      const SiTGuidance& guidance) const {
  check_inputs(config_, x, t, labels);
  if (labels.max().item<int64_t>() >= null_class())
    fail(kSiTSubject, "guided labels must be real classes (< {}); the null class is added by the guidance",
         null_class());
  if (!(guidance.low <= guidance.high))
    fail(kSiTSubject, "guidance interval [{}, {}] is empty", guidance.low, guidance.high);
  SiTForwardOptions plain;
  plain.project = false;
  const at::Tensor within = (t >= guidance.low).logical_and(t <= guidance.high);
  // The conditional pass over the whole batch, the unconditional one over the guided samples only: samples
  // outside the interval get exactly the conditional prediction, whatever else is in the batch.
  const at::Tensor conditional = forward(x, t, labels, plain).prediction;
  if (guidance.scale == 1.0 || !within.any().item<bool>()) return conditional;
  const at::Tensor index = within.nonzero().squeeze(1);
  const at::Tensor null_labels = at::full({index.size(0)}, null_class(), labels.options().dtype(at::kLong));
  const at::Tensor unconditional =
      net_->forward(x.index_select(0, index), t.index_select(0, index), null_labels, false).prediction;
  const at::Tensor guided = unconditional + guidance.scale * (conditional.index_select(0, index) - unconditional);
  return conditional.index_copy(0, index, guided);
}

torch::nn::Module& SiT::module() const {
  return *net_;
}

void SiT::to(const c10::Device& device) {
  net_->to(device);
}

c10::Device SiT::device() const {
  return net_->pos_embed.device();
}

int64_t SiT::parameter_count(bool include_projectors) const {
  int64_t n = 0;
  for (const auto& p : net_->named_parameters())
    if (include_projectors || p.key().rfind("projectors.", 0) != 0) n += p.value().numel();
  return n;
}

io::NamedArrays SiT::state_arrays() const {
  io::NamedArrays out;
  auto add = [&](const std::string& name, const at::Tensor& t) {
    out.emplace_back(name, io::to_array(t.detach().to(at::kCPU, at::kFloat), name));
  };
  add("pos_embed", net_->pos_embed);  // first, where PyTorch's state_dict() puts the frozen parameter
  for (const auto& item : net_->named_parameters()) add(item.key(), item.value());
  return out;
}

void SiT::load_state(const io::NamedArrays& tensors, const std::string& subject) {
  std::map<std::string, at::Tensor> targets;
  for (const auto& item : net_->named_parameters()) targets.emplace(item.key(), item.value());
  std::map<std::string, const io::Array*> given;
  for (const auto& [name, array] : tensors)
    if (!given.emplace(name, &array).second) fail(subject, "tensor '{}' appears twice", name);
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& [name, target] : targets)
    if (!given.count(name)) missing.push_back(name);
  if (given.count("pos_embed")) targets.emplace("pos_embed", net_->pos_embed);
  for (const auto& [name, array] : given) {
    auto it = targets.find(name);
    if (it == targets.end())
      unexpected.push_back(name);
    else if (array->shape != it->second.sizes().vec())
      mismatched.push_back(
          fmt::format("'{}' (file {}, model {})", name, io::shape_string(array->shape), c10::str(it->second.sizes())));
  }
  if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
    std::string text =
        fmt::format("does not fit SiT {} ({} missing, {} unexpected, {} with the wrong shape of {} tensors)",
                    config_.preset, missing.size(), unexpected.size(), mismatched.size(), targets.size());
    if (!missing.empty()) text += fmt::format("; first missing '{}'", missing.front());
    if (!unexpected.empty()) text += fmt::format("; first unexpected '{}'", unexpected.front());
    if (!mismatched.empty()) text += fmt::format("; first shape mismatch {}", mismatched.front());
    fail(subject, "{}", text);
  }
  at::NoGradGuard no_grad;
  for (auto& [name, target] : targets) {
    const io::Array& array = *given.at(name);
    if (!at::isFloatingType(io::to_scalar_type(array.dtype)))
      fail(subject, "tensor '{}' has dtype {}, expected a floating-point type", name, io::dtype_name(array.dtype));
    target.copy_(io::to_tensor(array));
  }
}

}  // namespace latentlab::models
