// A class-conditional 2-D Gaussian mixture whose flow-matching velocity is known in closed form, for testing
// the samplers with the exact field plugged in.
//
// Component k: N(μ_k, s_k² I), weight π_k, class c_k. Under the linear path x_t = (1 − t)·x + t·ε a component
// stays Gaussian: x_t ~ N((1 − t)·μ_k, σ_k²(t) I) with σ_k² = (1 − t)²·s_k² + t², and
//   E[ε | x_t, k] = t/σ_k²·(x_t − (1 − t)μ_k),  E[x | x_t, k] = μ_k + (1 − t)s_k²/σ_k²·(x_t − (1 − t)μ_k),
// so v_k = E[ε − x | x_t, k] = (t − (1 − t)s_k²)/σ_k²·(x_t − (1 − t)μ_k) − μ_k. The mixture's field is the
// posterior-weighted sum Σ_k p(k | x_t) v_k over the components of the label's class (all of them for the
// null class), p(k | x_t) ∝ π_k N(x_t; (1 − t)μ_k, σ_k² I).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

namespace latentlab::diffusion::testing {

struct GaussianMixture2D {
  std::vector<std::array<double, 2>> means;
  std::vector<double> stds, weights;
  std::vector<int64_t> classes;
  int64_t null_class = 2;

  // Two classes: class 0 bimodal, class 1 one wide mode.
  static GaussianMixture2D example() {
    return {{{-2.0, 0.0}, {-2.0, 2.5}, {2.0, -1.0}}, {0.5, 0.3, 0.6}, {0.3, 0.2, 0.5}, {0, 0, 1}, 2};
  }

  // x float64 N×2, labels int64 N → v float64 N×2.
  at::Tensor velocity(const at::Tensor& x, double t, const at::Tensor& labels) const {
    const int64_t k = static_cast<int64_t>(means.size());
    std::vector<double> flat;
    for (const auto& m : means) flat.insert(flat.end(), m.begin(), m.end());
    const at::Tensor mu = at::tensor(flat, at::kDouble).reshape({1, k, 2});
    const at::Tensor s2 = at::tensor(stds, at::kDouble).pow(2).reshape({1, k, 1});
    const at::Tensor var = (1 - t) * (1 - t) * s2 + t * t;
    const at::Tensor diff = x.unsqueeze(1) - (1 - t) * mu;  // N×K×2
    const at::Tensor vk = (t - (1 - t) * s2) / var * diff - mu;
    at::Tensor logw = at::tensor(weights, at::kDouble).log().reshape({1, k}) -
                      diff.pow(2).sum(2) / (2 * var.squeeze(2)) - var.squeeze(2).log();  // D/2·log σ² with D = 2
    const at::Tensor allowed = at::tensor(classes, at::kLong)
                                   .reshape({1, k})
                                   .eq(labels.reshape({-1, 1}))
                                   .logical_or(labels.reshape({-1, 1}).eq(null_class));
    logw = logw.masked_fill(allowed.logical_not(), -INFINITY);
    return (at::softmax(logw, 1).unsqueeze(2) * vk).sum(1);
  }

  // Component weights within `label`'s class (all for the null class), normalised.
  std::vector<double> class_weights(int64_t label) const {
    std::vector<double> w(weights.size(), 0.0);
    double total = 0;
    for (size_t i = 0; i < w.size(); ++i)
      if (label == null_class || classes[i] == label) total += (w[i] = weights[i]);
    for (double& v : w) v /= total;
    return w;
  }
  // E[x_d] and E[x_d²] of the class's mixture.
  std::array<double, 2> mean(int64_t label) const {
    const auto w = class_weights(label);
    std::array<double, 2> m{0, 0};
    for (size_t i = 0; i < w.size(); ++i)
      for (int d = 0; d < 2; ++d) m[d] += w[i] * means[i][d];
    return m;
  }
  std::array<double, 2> second_moment(int64_t label) const {
    const auto w = class_weights(label);
    std::array<double, 2> m{0, 0};
    for (size_t i = 0; i < w.size(); ++i)
      for (int d = 0; d < 2; ++d) m[d] += w[i] * (means[i][d] * means[i][d] + stds[i] * stds[i]);
    return m;
  }
};

}  // namespace latentlab::diffusion::testing
