// Loading the FID Inception's state dict by name (layout in the header).
#include "models/inception_fid_weights.h"

#include <filesystem>
#include <map>
#include <mutex>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <ATen/ATen.h>
#include <fmt/ranges.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "io/sha256.h"
#include "io/tensor_convert.h"
#include "io/weights.h"
#include "models/inception_fid.h"

namespace latentlab::models {
namespace {

// Every tensor the model needs, by state-dict name: parameters, then buffers (loading goes by name).
std::vector<std::pair<std::string, at::Tensor>> model_tensors(InceptionFID& model) {
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& item : model.named_parameters(true)) tensors.emplace_back(item.key(), item.value());
  for (const auto& item : model.named_buffers(true)) tensors.emplace_back(item.key(), item.value());
  return tensors;
}

}  // namespace

void load_inception_fid_state(InceptionFID& model, const io::NamedArrays& arrays, const std::string& subject) {
  std::unordered_map<std::string, const io::Array*> by_name;
  for (const auto& [name, array] : arrays) by_name.emplace(name, &array);

  const auto tensors = model_tensors(model);
  // Check everything first so that a bad file leaves the model as it was.
  for (const auto& [name, tensor] : tensors) {
    const auto found = by_name.find(name);
    if (found == by_name.end()) {
      fail(subject, "missing tensor '{}' (shape {}): not a pytorch-fid Inception-v3 state dict", name,
           io::shape_string(tensor.sizes().vec()));
    }
    const io::Array& array = *found->second;
    if (array.shape != tensor.sizes().vec()) {
      fail(subject, "tensor '{}' has shape {}, the FID Inception needs {}", name, io::shape_string(array.shape),
           io::shape_string(tensor.sizes().vec()));
    }
    if (array.dtype != io::DType::F32 && array.dtype != io::DType::F64 && array.dtype != io::DType::F16 &&
        array.dtype != io::DType::BF16) {
      fail(subject, "tensor '{}' has dtype {}, expected a floating-point type", name, io::dtype_name(array.dtype));
    }
  }
  std::vector<std::string> unexpected;
  std::unordered_map<std::string, bool> needed;
  for (const auto& [name, tensor] : tensors) needed.emplace(name, true);
  for (const auto& [name, array] : arrays) {
    if (!needed.count(name) && !ends_with(name, ".num_batches_tracked")) unexpected.push_back(name);
  }
  if (!unexpected.empty()) {
    const size_t shown = std::min<size_t>(unexpected.size(), 3);
    fail(subject, "unexpected tensor{} '{}'{}: not a pytorch-fid Inception-v3 state dict",
         unexpected.size() > 1 ? "s" : "",
         fmt::join(std::vector<std::string>(unexpected.begin(), unexpected.begin() + shown), "', '"),
         unexpected.size() > shown ? fmt::format(" and {} more", unexpected.size() - shown) : "");
  }

  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : tensors) {
    auto source = io::to_tensor(*by_name.at(name));
    tensor.copy_(source.to(at::kFloat));
  }
  if (model.batch_norms_folded()) model.fold_batch_norms(true);  // the folded copies follow the new weights
}

InceptionWeightsInfo load_inception_fid_weights(InceptionFID& model, const std::string& path) {
  const auto file = io::load_weights(path);
  load_inception_fid_state(model, file.arrays, path);
  InceptionWeightsInfo info;
  info.path = path;
  info.format = io::format_name(file.format);
  info.sha256 = cached_file_sha256(path);
  info.official = is_official_inception_sha256(info.sha256);
  log::debug("{}: FID Inception weights ({}, sha256 {}, {})", path, info.format, info.sha256,
             info.official ? "official pytorch-fid file" : "not the official pytorch-fid file");
  return info;
}

io::NamedArrays inception_fid_state(InceptionFID& model) {
  io::NamedArrays arrays;
  for (const auto& [name, tensor] : model_tensors(model)) {
    arrays.emplace_back(name, io::to_array(tensor.detach().to(at::kCPU, at::kFloat), name));
  }
  return arrays;
}

std::string cached_file_sha256(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code error;
  const auto canonical = fs::canonical(path, error);
  if (error) fail(path, "cannot open ({})", error.message());
  const auto size = fs::file_size(canonical, error);
  const auto modified = fs::last_write_time(canonical, error).time_since_epoch().count();
  const auto key = std::make_tuple(canonical.string(), size, static_cast<int64_t>(modified));

  static std::mutex mutex;
  static std::map<std::tuple<std::string, uintmax_t, int64_t>, std::string> cache;
  {
    std::lock_guard<std::mutex> lock(mutex);
    const auto found = cache.find(key);
    if (found != cache.end()) return found->second;
  }
  const auto digest = io::sha256_file(path);  // outside the lock: ~100 MB
  std::lock_guard<std::mutex> lock(mutex);
  cache[key] = digest;
  return digest;
}

bool is_official_inception_sha256(const std::string& sha256) {
  return sha256.rfind(kInceptionOfficialSha256Prefix, 0) == 0;
}

}  // namespace latentlab::models
