#include "metrics/probes/mlp_probe.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "core/error.h"

namespace latentlab::metrics {
namespace {

struct Parameters {
  std::vector<at::Tensor> p;  // w1, b1, w2, b2
};

// Loss of the logits and its gradient with respect to them (both for the mean over the rows).
std::pair<double, at::Tensor> loss_and_gradient(const at::Tensor& z, const at::Tensor& target, bool multinomial) {
  const double n = static_cast<double>(z.size(0));
  if (multinomial) {
    const auto log_p = at::log_softmax(z, 1);
    const double loss = -log_p.gather(1, target.unsqueeze(1)).sum().item<double>() / n;
    auto g = log_p.exp();
    g.scatter_add_(1, target.unsqueeze(1), at::full({z.size(0), 1}, -1.0, z.options()));
    return {loss, g / n};
  }
  // Sum over heads of the mean BCE, computed stably from the logits.
  const double loss = at::binary_cross_entropy_with_logits(z, target, {}, {}, at::Reduction::Sum).item<double>() / n;
  return {loss, (at::sigmoid(z) - target) / n};
}

at::Tensor forward_hidden(const std::vector<at::Tensor>& p, const at::Tensor& x) {
  return at::relu(at::addmm(p[1], x, p[0]));
}

double full_loss(const std::vector<at::Tensor>& p, const at::Tensor& x, const at::Tensor& target, bool multinomial) {
  double total = 0;
  const int64_t n = x.size(0), chunk = 8192;
  for (int64_t s = 0; s < n; s += chunk) {
    const int64_t len = std::min(chunk, n - s);
    const auto z = at::addmm(p[3], forward_hidden(p, x.narrow(0, s, len)), p[2]);
    total += loss_and_gradient(z, target.narrow(0, s, len), multinomial).first * static_cast<double>(len);
  }
  return total / static_cast<double>(n);
}

void check_inputs(const at::Tensor& x_train, const at::Tensor& t_train, const at::Tensor& x_validation,
                  const at::Tensor& t_validation, const MlpOptions& o) {
  LATENTLAB_ASSERT(x_train.dim() == 2 && x_validation.dim() == 2 && x_train.size(1) == x_validation.size(1),
                   "MLP features must be (N, D) with equal D");
  LATENTLAB_ASSERT(t_train.size(0) == x_train.size(0) && t_validation.size(0) == x_validation.size(0),
                   "MLP targets must match the rows");
  if (o.hidden < 1) fail_usage("mlp-hidden", "must be at least 1, got {}", o.hidden);
  if (!(o.learning_rate > 0)) fail_usage("mlp-lr", "must be positive, got {}", o.learning_rate);
  if (o.batch_size < 1) fail_usage("mlp-batch-size", "must be at least 1, got {}", o.batch_size);
  if (o.max_epochs < 1) fail_usage("mlp-epochs", "must be at least 1, got {}", o.max_epochs);
  if (o.patience < 1) fail_usage("mlp-patience", "must be at least 1, got {}", o.patience);
  if (x_validation.size(0) < 1) fail("validation split", "is empty; the MLP probe stops early on it");
}

MlpModel fit(const at::Tensor& x_train_in, const at::Tensor& t_train, const at::Tensor& x_validation_in,
             const at::Tensor& t_validation, int64_t outputs, bool multinomial, const MlpOptions& o) {
  check_inputs(x_train_in, t_train, x_validation_in, t_validation, o);
  const auto x_train = x_train_in.to(at::kFloat).contiguous(), x_validation = x_validation_in.to(at::kFloat);
  const auto device = x_train.device();
  const int64_t n = x_train.size(0), d = x_train.size(1), h = o.hidden;
  auto generator = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  auto uniform = [&](std::vector<int64_t> shape, int64_t fan_in) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    return at::empty(shape, at::kFloat).uniform_(-bound, bound, generator).to(device);
  };
  std::vector<at::Tensor> p = {uniform({d, h}, d), uniform({h}, d), uniform({h, outputs}, h), uniform({outputs}, h)};
  std::vector<at::Tensor> m, v;
  for (const auto& t : p) m.push_back(at::zeros_like(t)), v.push_back(at::zeros_like(t));
  const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  int64_t step = 0;

  MlpModel model;
  model.multinomial = multinomial;
  model.validation_loss = full_loss(p, x_validation, t_validation, multinomial);
  std::vector<at::Tensor> best;
  for (const auto& t : p) best.push_back(t.clone());
  std::mt19937_64 rng(o.seed);
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  int since_best = 0;
  for (int epoch = 1; epoch <= o.max_epochs && since_best < o.patience; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    const auto perm = at::tensor(order, at::kLong).to(device);
    for (int64_t s = 0; s < n; s += o.batch_size) {
      const auto rows = perm.narrow(0, s, std::min(o.batch_size, n - s));
      const auto x = x_train.index_select(0, rows), t = t_train.index_select(0, rows);
      const auto hidden = forward_hidden(p, x);
      const auto dz = loss_and_gradient(at::addmm(p[3], hidden, p[2]), t, multinomial).second;
      const auto dh = at::mm(dz, p[2].t()) * (hidden > 0);
      const std::vector<at::Tensor> g = {at::mm(x.t(), dh), dh.sum(0), at::mm(hidden.t(), dz), dz.sum(0)};
      ++step;
      const double c1 = 1 - std::pow(beta1, step), c2 = 1 - std::pow(beta2, step);
      for (size_t i = 0; i < p.size(); ++i) {  // torch.optim.Adam
        m[i].mul_(beta1).add_(g[i], 1 - beta1);
        v[i].mul_(beta2).addcmul_(g[i], g[i], 1 - beta2);
        p[i].addcdiv_(m[i], (v[i] / c2).sqrt_().add_(eps), -o.learning_rate / c1);
      }
    }
    model.epochs = epoch;
    const double loss = full_loss(p, x_validation, t_validation, multinomial);
    if (loss < model.validation_loss) {
      model.validation_loss = loss, model.best_epoch = epoch, since_best = 0;
      for (size_t i = 0; i < p.size(); ++i) best[i].copy_(p[i]);
    } else {
      ++since_best;
    }
  }
  model.w1 = best[0], model.b1 = best[1], model.w2 = best[2], model.b2 = best[3];
  return model;
}

}  // namespace

nlohmann::json MlpOptions::to_json() const {
  return {{"architecture", fmt::format("linear({}) -> relu -> linear", hidden)},
          {"hidden", hidden},
          {"optimiser", "Adam (0.9, 0.999, eps 1e-8), no weight decay"},
          {"learning_rate", learning_rate},
          {"batch_size", batch_size},
          {"max_epochs", max_epochs},
          {"early_stopping", fmt::format("validation loss, patience {} epochs, best weights kept", patience)},
          {"seed", seed}};
}

at::Tensor MlpModel::logits(const at::Tensor& x) const {
  const auto xf = x.to(w1.device(), at::kFloat);
  return at::addmm(b2, at::relu(at::addmm(b1, xf, w1)), w2);
}

at::Tensor MlpModel::probabilities(const at::Tensor& x) const {
  const auto z = logits(x).to(at::kCPU, at::kDouble);
  return (multinomial ? at::softmax(z, 1) : at::sigmoid(z)).contiguous();
}

nlohmann::json MlpModel::to_json() const {
  return {{"epochs", epochs}, {"best_epoch", best_epoch}, {"validation_loss", validation_loss}};
}

MlpModel fit_mlp_classifier(const at::Tensor& x_train, const at::Tensor& labels_train, int64_t num_classes,
                            const at::Tensor& x_validation, const at::Tensor& labels_validation,
                            const MlpOptions& options) {
  const auto device = x_train.device();
  return fit(x_train, labels_train.to(device, at::kLong), x_validation.to(device),
             labels_validation.to(device, at::kLong), num_classes, true, options);
}

MlpModel fit_mlp_binary_heads(const at::Tensor& x_train, const at::Tensor& targets_train,
                              const at::Tensor& x_validation, const at::Tensor& targets_validation,
                              const MlpOptions& options) {
  const auto device = x_train.device();
  return fit(x_train, targets_train.to(device, at::kFloat), x_validation.to(device),
             targets_validation.to(device, at::kFloat), targets_train.size(1), false, options);
}

}  // namespace latentlab::metrics
