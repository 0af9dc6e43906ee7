#include "models/teacher_procedural_train.h"

#include <algorithm>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

namespace latentlab::models {

at::Tensor images_to_signed(const at::Tensor& images_uint8) {
  return images_uint8.to(at::kFloat) / 127.5 - 1;
}

at::Tensor network_input(ProceduralTeacherNet& net, const at::Tensor& images_uint8, const at::Device& device) {
  return images_to_signed(images_uint8).to(device, net->parameters().front().scalar_type());
}

std::vector<double> head_accuracies(ProceduralTeacherNet& net, const TeacherTrainingData& data, int64_t batch_size,
                                    const at::Device& device) {
  at::NoGradGuard no_grad;
  net->eval();
  net->to(device);
  std::vector<int64_t> correct(data.targets.size(), 0);
  const int64_t n = data.images.size(0);
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t end = std::min(n, start + batch_size);
    const auto logits = net->head_logits(net->token_map(network_input(net, data.images.slice(0, start, end), device)));
    for (size_t h = 0; h < logits.size(); ++h)
      correct[h] += logits[h].argmax(1).cpu().eq(data.targets[h].slice(0, start, end)).sum().item<int64_t>();
  }
  std::vector<double> accuracy;
  for (int64_t c : correct) accuracy.push_back(n > 0 ? double(c) / double(n) : 0.0);
  return accuracy;
}

at::Tensor teacher_token_maps(ProceduralTeacherNet& net, const at::Tensor& images_uint8, int64_t batch_size,
                              const at::Device& device) {
  at::NoGradGuard no_grad;
  net->eval();
  net->to(device);
  std::vector<at::Tensor> maps;
  for (int64_t start = 0; start < images_uint8.size(0); start += batch_size)
    maps.push_back(net->token_map(network_input(net, images_uint8.slice(0, start, start + batch_size), device)).cpu());
  return at::cat(maps);
}

}  // namespace latentlab::models
