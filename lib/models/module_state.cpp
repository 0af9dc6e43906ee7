#include "models/module_state.h"

#include <map>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <c10/util/StringUtil.h>
#include <torch/nn/module.h>

#include "core/error.h"
#include "core/strings.h"
#include "io/safetensors.h"
#include "io/tensor_convert.h"

namespace latentlab::models {
namespace {

// Parameters then buffers, the order PyTorch's state_dict() interleaves per module does not matter here.
std::vector<std::pair<std::string, at::Tensor>> slots(torch::nn::Module& module) {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& item : module.named_parameters()) out.emplace_back(item.key(), item.value());
  for (const auto& item : module.named_buffers()) out.emplace_back(item.key(), item.value());
  return out;
}

}  // namespace

io::NamedArrays module_state_arrays(torch::nn::Module& module) {
  io::NamedArrays out;
  for (const auto& [name, tensor] : slots(module)) {
    at::Tensor cpu = tensor.detach().to(at::kCPU);
    if (at::isFloatingType(cpu.scalar_type())) cpu = cpu.to(at::kFloat);
    out.emplace_back(name, io::to_array(cpu, name));
  }
  return out;
}

void load_module_state(torch::nn::Module& module, const io::NamedArrays& tensors, const std::string& subject,
                       const std::string& what, const std::string& optional_suffix) {
  const auto targets = slots(module);
  std::map<std::string, const io::Array*> given;
  for (const auto& [name, array] : tensors)
    if (!given.emplace(name, &array).second) fail(subject, "tensor '{}' appears twice", name);
  std::map<std::string, bool> known;
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& [name, tensor] : targets) {
    known[name] = true;
    auto it = given.find(name);
    if (it == given.end()) {
      if (optional_suffix.empty() || !ends_with(name, optional_suffix)) missing.push_back(name);
    } else if (it->second->shape != tensor.sizes().vec()) {
      mismatched.push_back(
          fmt::format("'{}' (file {}, model {})", name, io::shape_string(it->second->shape), c10::str(tensor.sizes())));
    }
  }
  for (const auto& [name, array] : tensors)
    if (!known.count(name)) unexpected.push_back(name);
  if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
    std::string text =
        fmt::format("does not fit the {} ({} missing, {} unexpected, {} with the wrong shape of {} tensors)", what,
                    missing.size(), unexpected.size(), mismatched.size(), targets.size());
    if (!missing.empty()) text += fmt::format("; first missing '{}'", missing.front());
    if (!unexpected.empty()) text += fmt::format("; first unexpected '{}'", unexpected.front());
    if (!mismatched.empty()) text += fmt::format("; first shape mismatch {}", mismatched.front());
    fail(subject, "{}", text);
  }
  for (const auto& [name, tensor] : targets) {
    auto it = given.find(name);
    if (it == given.end()) continue;
    const bool float_slot = at::isFloatingType(tensor.scalar_type());
    if (float_slot != at::isFloatingType(io::to_scalar_type(it->second->dtype)))
      fail(subject, "tensor '{}' has dtype {}, expected a {} type", name, io::dtype_name(it->second->dtype),
           float_slot ? "floating-point" : "integer");
  }
  at::NoGradGuard no_grad;
  for (auto& [name, tensor] : targets) {
    auto it = given.find(name);
    if (it != given.end()) tensor.copy_(io::to_tensor(*it->second));
  }
}

void save_model_safetensors(const std::string& path, const io::NamedArrays& state, const std::string& config_key,
                            const std::string& config_json) {
  io::write_safetensors(path, state, {{"format", "pt"}, {"producer", "latentlab"}, {config_key, config_json}});
}

}  // namespace latentlab::models
