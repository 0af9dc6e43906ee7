// The separability probe (issue 6): the targets of the linear probes probed by a small MLP — one hidden
// layer of ReLU units, trained with Adam on minibatches, early stopping on the validation split's loss with
// the best epoch's weights kept. What a linear probe misses but this MLP finds is present in the features
// without being linearly separable; probe_report reports the linear/MLP ratio per target.
//   classes:      logits = relu(x W1 + b1) W2 + b2, softmax cross-entropy (mean over the batch);
//   binary heads: one shared hidden layer, one sigmoid output per attribute, loss = sum over heads of the
//                 mean BCE (a multi-task MLP: one fit for all attributes of a set).
// Float32 on x's device; gradients are written out by hand (two layers) and Adam is torch.optim.Adam's
// update (β = 0.9, 0.999, ε = 1e-8, no weight decay). Initialisation as torch.nn.Linear (uniform
// ±1/sqrt(fan_in)), from a CPU generator seeded with `seed`; minibatch order from std::mt19937_64(seed).
// Inputs are standardised by the caller (probe_report uses the training statistics, as the linear probe).
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

namespace latentlab::metrics {

struct MlpOptions {
  int64_t hidden = 256;
  double learning_rate = 1e-3;
  int64_t batch_size = 256;
  int max_epochs = 200;
  int patience = 10;  // stop after this many epochs without a lower validation loss
  uint64_t seed = 0;
  nlohmann::json to_json() const;
};

struct MlpModel {
  at::Tensor w1, b1, w2, b2;  // (D, H), (H), (H, K), (K) float32
  bool multinomial = true;    // false: independent sigmoid outputs
  int epochs = 0;             // epochs run
  int best_epoch = 0;         // 1-based epoch whose weights were kept
  double validation_loss = 0;
  at::Tensor logits(const at::Tensor& x) const;         // (N, K)
  at::Tensor probabilities(const at::Tensor& x) const;  // softmax rows or sigmoids, float64 CPU
  nlohmann::json to_json() const;                       // epochs, best epoch, validation loss
};

// labels: (N) int64 in [0, num_classes). x_* (N, D) floating on one device.
MlpModel fit_mlp_classifier(const at::Tensor& x_train, const at::Tensor& labels_train, int64_t num_classes,
                            const at::Tensor& x_validation, const at::Tensor& labels_validation,
                            const MlpOptions& options = {});
// targets: (N, A) in {0, 1}.
MlpModel fit_mlp_binary_heads(const at::Tensor& x_train, const at::Tensor& targets_train,
                              const at::Tensor& x_validation, const at::Tensor& targets_validation,
                              const MlpOptions& options = {});

}  // namespace latentlab::metrics
