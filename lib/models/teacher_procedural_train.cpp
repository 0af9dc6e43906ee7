#include "models/teacher_procedural_train.h"

#include <algorithm>

#include <ATen/ATen.h>
#include <torch/optim/adamw.h>

#include "core/compat.h"
#include "core/error.h"

namespace latentlab::models {

at::Tensor images_to_signed(const at::Tensor& images_uint8) {
  return images_uint8.to(at::kFloat) / 127.5 - 1;
}

std::vector<double> train_procedural_teacher(ProceduralTeacherNet& net, const TeacherTrainingData& data,
                                             const ProceduralTeacherTrainOptions& options, const at::Device& device,
                                             const std::function<void(int64_t, double)>& on_step) {
  const int64_t n = data.images.size(0);
  LATENTLAB_ASSERT(data.targets.size() == net->config().factors.size(), "{} targets for {} heads", data.targets.size(),
                   net->config().factors.size());
  if (n < 1) fail("train-teacher", "no training images");
  const int64_t batch = std::min(options.batch_size, n);
  net->to(device);
  net->train();
  torch::optim::AdamW optimizer(net->parameters(),
                                torch::optim::AdamWOptions(options.lr).weight_decay(options.weight_decay));
  at::Generator generator = at::detail::createCPUGenerator(options.seed);
  at::Tensor order;
  int64_t cursor = n;  // a fresh permutation at the first step
  std::vector<double> losses;
  for (int64_t step = 0; step < options.steps; ++step) {
    if (cursor + batch > n) {  // drop the ragged tail of every epoch, as a drop_last loader does
      order = at::randperm(n, generator, at::TensorOptions().dtype(at::kLong));
      cursor = 0;
    }
    const at::Tensor index = order.slice(0, cursor, cursor + batch);
    cursor += batch;
    const double warm = options.warmup > 0 ? std::min(1.0, double(step + 1) / double(options.warmup)) : 1.0;
    compat::set_learning_rate(optimizer, options.lr * warm);
    const at::Tensor x = images_to_signed(data.images.index_select(0, index)).to(device);
    const auto logits = net->head_logits(net->token_map(x));
    at::Tensor loss = at::zeros({}, x.options());
    for (size_t h = 0; h < logits.size(); ++h)
      loss = loss + at::cross_entropy_loss(logits[h], data.targets[h].index_select(0, index).to(device));
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    losses.push_back(loss.item<double>());
    if (on_step) on_step(step, losses.back());
  }
  net->eval();
  return losses;
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
    const auto logits = net->head_logits(net->token_map(images_to_signed(data.images.slice(0, start, end)).to(device)));
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
    maps.push_back(net->token_map(images_to_signed(images_uint8.slice(0, start, start + batch_size)).to(device)).cpu());
  return at::cat(maps);
}

}  // namespace latentlab::models
