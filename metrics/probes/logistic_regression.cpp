#include "metrics/probes/logistic_regression.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <tuple>
#include <utility>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "core/error.h"
#include "metrics/probes/logistic_design.h"

namespace latentlab::metrics {
namespace {

// Minimises objective(theta) -> (values, gradient) over theta = [W; b] ((D + 1) x C) by L-BFGS (Nocedal &
// Wright, Algorithm 7.4: two-loop recursion, initial Hessian scaled by s'y / y'y) with an Armijo
// backtracking line search (approximate Wolfe near the optimum). The objectives here are smooth and convex,
// where backtracking from the unit step is enough. `blocks` = 1: one problem (values has one entry);
// `blocks` = C: the columns are independent problems (the binary heads) and every inner product, Hessian
// scaling, step length and stopping test is per column, as if each head ran its own L-BFGS, while the
// expensive matrix products stay shared. A block stops when its largest gradient entry is <=
// gradient_tolerance or when no step decreases it any more (float64 precision reached).
template <typename Objective>
LogisticModel minimise(int64_t d, int64_t c, int64_t blocks, const at::Tensor& like, const LogisticOptions& options,
                       const LogisticModel* warm_start, Objective objective) {
  auto theta = at::zeros({d + 1, c}, like.options().dtype(at::kDouble));
  if (warm_start && warm_start->weight.defined()) {
    LATENTLAB_ASSERT(warm_start->weight.size(0) == d && warm_start->weight.size(1) == c, "warm start shape");
    theta.narrow(0, 0, d).copy_(warm_start->weight);
    theta[d].copy_(warm_start->bias);
  }
  LATENTLAB_ASSERT(blocks == 1 || blocks == c, "blocks must be 1 or C");
  // Per-block reductions and broadcasts: (D + 1, C) -> (B) and (B) -> broadcastable to (D + 1, C).
  auto reduce = [&](const at::Tensor& t) -> at::Tensor { return blocks == 1 ? t.sum().view({1}) : t.sum(0); };
  auto reduce_max = [&](const at::Tensor& t) -> at::Tensor {
    return blocks == 1 ? t.abs().max().view({1}) : std::get<0>(t.abs().max(0));
  };
  auto spread = [&](const at::Tensor& v) -> at::Tensor { return blocks == 1 ? v : v.view({1, c}); };
  LogisticModel model;
  auto evaluate = [&](const at::Tensor& t) -> std::pair<at::Tensor, at::Tensor> {
    ++model.evaluations;
    const std::pair<at::Tensor, at::Tensor> out = objective(t);
    return {out.first.reshape({-1}).to(at::kDouble), out.second};
  };
  at::Tensor f, g;
  std::tie(f, g) = evaluate(theta);
  std::deque<at::Tensor> mem_s, mem_y, mem_rho;
  at::Tensor active = at::Tensor(reduce_max(g)) > options.gradient_tolerance;  // (B) bool
  for (int iteration = 0; iteration < options.max_iterations && active.any().item<bool>(); ++iteration) {
    at::Tensor q = g * spread(active.to(at::kDouble));
    std::vector<at::Tensor> alpha(mem_s.size());
    for (size_t i = mem_s.size(); i-- > 0;) {
      alpha[i] = mem_rho[i] * reduce(mem_s[i] * q);
      q = q - mem_y[i] * spread(alpha[i]);
    }
    if (!mem_s.empty()) {
      const at::Tensor yy = reduce(mem_y.back() * mem_y.back());
      const at::Tensor gamma =
          at::where(yy > 0, reduce(mem_s.back() * mem_y.back()) / yy.clamp_min(1e-300), at::ones_like(yy));
      q = q * spread(gamma);
    } else {
      q = q * spread(at::clamp_max(1.0 / reduce(g.abs()).clamp_min(1e-300), 1.0));  // a cautious first step
    }
    for (size_t i = 0; i < mem_s.size(); ++i) {
      const at::Tensor beta = mem_rho[i] * reduce(mem_y[i] * q);
      q = q + mem_s[i] * spread(alpha[i] - beta);
    }
    at::Tensor direction = -q;
    at::Tensor slope = reduce(g * direction);
    // A block whose direction is not a descent direction restarts from steepest descent.
    const at::Tensor bad = active & (slope >= 0);
    if (bad.any().item<bool>()) {
      direction = at::where(spread(bad), -g, direction);
      slope = reduce(g * direction);
    }
    at::Tensor step = at::ones_like(f);
    at::Tensor pending = active.clone();
    at::Tensor theta_next = theta.clone(), f_next = f.clone(), g_next = g.clone();
    for (int tries = 0; tries < 40 && pending.any().item<bool>(); ++tries) {
      const at::Tensor trial = theta + direction * spread(step * pending.to(at::kDouble));
      at::Tensor f_new, g_new;
      std::tie(f_new, g_new) = evaluate(trial);
      const at::Tensor new_slope = reduce(g_new * direction);
      // Armijo, or (below float64 resolution of f) the approximate Wolfe conditions of Hager & Zhang (2005).
      const at::Tensor accept =
          pending & ((f_new <= f + 1e-4 * step * slope) |
                     ((f_new <= f + 1e-13 * f.abs()) & (new_slope >= 0.9 * slope) & (new_slope <= -0.8 * slope)));
      const at::Tensor columns = spread(accept);
      theta_next = at::where(columns, trial, theta_next);
      g_next = at::where(columns, g_new, g_next);
      f_next = at::where(accept, f_new, f_next);
      pending = pending & ~accept;
      step = at::where(pending, step * 0.5, step);
    }
    const at::Tensor moved = active & ~pending;  // blocks that found a step; the others stay where they are
    if (!moved.any().item<bool>()) break;        // precision limit everywhere
    const at::Tensor s = theta_next - theta, y = g_next - g;
    const at::Tensor sy = reduce(s * y);
    mem_s.push_back(s);
    mem_y.push_back(y);
    mem_rho.push_back(at::where(moved & (sy > 1e-300), 1.0 / sy.clamp_min(1e-300), at::zeros_like(sy)));
    if (static_cast<int>(mem_s.size()) > options.history) {
      mem_s.pop_front();
      mem_y.pop_front();
      mem_rho.pop_front();
    }
    theta = theta_next;
    f = f_next;
    g = g_next;
    active = moved & (at::Tensor(reduce_max(g)) > options.gradient_tolerance);
  }
  model.objective = f.sum().item<double>();
  const at::Tensor final_max = reduce_max(g);
  model.converged = (final_max <= options.gradient_tolerance).all().item<bool>();
  model.weight = theta.narrow(0, 0, d).clone();
  model.bias = theta[d].clone();
  return model;
}

// Row-wise softmax statistics of logits z (N, C) float64: per-row loss -log softmax(z)_{y} (or, without
// labels, nothing) and the probabilities written over `p`. On CPU these are plain loops: Debian's LibTorch
// 1.13 evaluates double-precision exp/log_softmax element by element through a slow path (12 ms for
// 3000 x 10 values), which dominated every fit.
double softmax_cross_entropy_cpu(const at::Tensor& z, const int64_t* labels, at::Tensor& p) {
  const int64_t n = z.size(0), c = z.size(1);
  p = at::empty_like(z);
  const double* zp = z.data_ptr<double>();
  double* pp = p.data_ptr<double>();
  std::vector<double> row_loss(n, 0.0);
  at::parallel_for(0, n, std::max<int64_t>(256, 65536 / std::max<int64_t>(1, z.size(1))),
                   [&](int64_t begin, int64_t end) {
                     for (int64_t i = begin; i < end; ++i) {
                       const double* zr = zp + i * c;
                       double* pr = pp + i * c;
                       double m = zr[0];
                       for (int64_t k = 1; k < c; ++k) m = std::max(m, zr[k]);
                       double sum = 0.0;
                       for (int64_t k = 0; k < c; ++k) sum += (pr[k] = std::exp(zr[k] - m));
                       for (int64_t k = 0; k < c; ++k) pr[k] /= sum;
                       if (labels) row_loss[i] = m + std::log(sum) - zr[labels[i]];
                     }
                   });
  double total = 0.0;  // summed in row order: independent of the thread count
  for (double v : row_loss) total += v;
  return total;
}

// Element-wise sigmoid of z (N, A) into `p`; with targets t, returns sum softplus(z) - t z (the BCE).
double sigmoid_cross_entropy_cpu(const at::Tensor& z, const double* targets, at::Tensor& p,
                                 at::Tensor* losses = nullptr) {
  const int64_t n = z.size(0), a = z.size(1);
  p = at::empty_like(z);
  const double* zp = z.data_ptr<double>();
  double* pp = p.data_ptr<double>();
  std::vector<double> row_loss(n, 0.0);
  double* lp = nullptr;
  if (losses) {
    *losses = at::empty_like(z);
    lp = losses->data_ptr<double>();
  }
  at::parallel_for(0, n, std::max<int64_t>(256, 65536 / std::max<int64_t>(1, z.size(1))),
                   [&](int64_t begin, int64_t end) {
                     for (int64_t i = begin; i < end; ++i) {
                       double loss = 0.0;
                       for (int64_t h = 0; h < a; ++h) {
                         const double v = zp[i * a + h];
                         const double e = std::exp(-std::abs(v));
                         pp[i * a + h] = v >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
                         if (targets) {
                           const double l = std::max(v, 0.0) + std::log1p(e) - targets[i * a + h] * v;
                           loss += l;
                           if (lp) lp[i * a + h] = l;
                         }
                       }
                       row_loss[i] = loss;
                     }
                   });
  double total = 0.0;
  for (double v : row_loss) total += v;
  return total;
}

// Two phases (LogisticOptions::float32_phase_min_size): L-BFGS on float32 products to float32_tolerance, then
// float64 from that point to gradient_tolerance. `objective(theta, float32)` -> (values, gradient).
template <typename Objective>
LogisticModel minimise_in_phases(int64_t d, int64_t c, int64_t blocks, const at::Tensor& like,
                                 const LogisticOptions& options, const detail::LogisticDesign& design,
                                 const LogisticModel* warm_start, Objective objective) {
  LogisticModel warm_v;  // the caller's warm start in v
  if (warm_start && warm_start->weight.defined()) {
    warm_v = *warm_start;
    warm_v.weight = design.to_v(warm_start->weight);
  }
  const LogisticModel* start = warm_v.weight.defined() ? &warm_v : nullptr;
  LogisticModel coarse;
  if (design.has_float32_phase()) {
    auto coarse_options = options;
    coarse_options.gradient_tolerance = std::max(options.gradient_tolerance, options.float32_tolerance);
    coarse = minimise(d, c, blocks, like, coarse_options, start,
                      [&](const at::Tensor& theta) { return objective(theta, true); });
    start = &coarse;
  }
  auto model =
      minimise(d, c, blocks, like, options, start, [&](const at::Tensor& theta) { return objective(theta, false); });
  model.float32_evaluations = coarse.evaluations;
  model.evaluations += coarse.evaluations;
  model.weight = design.to_w(model.weight);
  return model;
}

void check_design(const at::Tensor& x) {
  LATENTLAB_ASSERT(x.dim() == 2 && x.scalar_type() == at::kDouble, "x must be (N, D) float64");
  LATENTLAB_ASSERT(x.size(0) >= 1, "x has no rows");
}

}  // namespace

at::Tensor LogisticModel::decision(const at::Tensor& x) const {
  return at::addmm(bias, x.to(weight.device(), at::kDouble), weight);
}

at::Tensor LogisticModel::probabilities(const at::Tensor& x) const {
  const auto z = decision(x).contiguous();
  if (!z.device().is_cpu()) return multinomial ? at::softmax(z, 1) : at::sigmoid(z);
  at::Tensor p;
  if (multinomial)
    softmax_cross_entropy_cpu(z, nullptr, p);
  else
    sigmoid_cross_entropy_cpu(z, nullptr, p);
  return p;
}

at::Tensor LogisticModel::predict(const at::Tensor& x) const {
  return decision(x).argmax(1);
}

LogisticModel fit_multinomial_logistic(const at::Tensor& x, const at::Tensor& labels, int64_t num_classes, double c,
                                       const LogisticOptions& options, const LogisticModel* warm_start) {
  check_design(x);
  LATENTLAB_ASSERT(labels.dim() == 1 && labels.size(0) == x.size(0), "labels must be (N)");
  LATENTLAB_ASSERT(num_classes >= 2 && c > 0, "classes {} C {}", num_classes, c);
  const int64_t n = x.size(0), d = x.size(1);
  const auto y = labels.to(x.device(), at::kLong).unsqueeze(1);
  const auto onehot = at::zeros({n, num_classes}, x.options()).scatter_(1, y, 1.0);
  const double penalty = 1.0 / (c * n);
  const bool cpu = x.device().is_cpu();
  const auto y_cpu = labels.to(at::kCPU, at::kLong).contiguous();
  const auto design = detail::make_logistic_design(x, options, penalty);
  auto model =
      minimise_in_phases(d, num_classes, 1, x, options, design, warm_start, [&](const at::Tensor& theta, bool float32) {
        const auto w = theta.narrow(0, 0, d);
        const auto z = design.logits(theta, float32);
        const auto qw = design.penalty_metric(w);
        at::Tensor value, residual;
        if (cpu) {
          at::Tensor p;
          const double loss = softmax_cross_entropy_cpu(z, y_cpu.data_ptr<int64_t>(), p);
          value = at::scalar_tensor(loss / n + 0.5 * penalty * (w * qw).sum().item<double>(), at::kDouble);
          residual = (p - onehot) / n;
        } else {
          const auto logp = at::log_softmax(z, 1);
          value = -(logp * onehot).sum() / n + 0.5 * penalty * (w * qw).sum();
          residual = (logp.exp() - onehot) / n;  // (N, C)
        }
        return std::make_pair(value, design.gradient(theta, residual, qw * penalty, float32));
      });
  model.multinomial = true;
  return model;
}

LogisticModel fit_binary_logistic_heads(const at::Tensor& x, const at::Tensor& targets, const std::vector<double>& c,
                                        const LogisticOptions& options, const LogisticModel* warm_start) {
  check_design(x);
  LATENTLAB_ASSERT(targets.dim() == 2 && targets.size(0) == x.size(0), "targets must be (N, A)");
  LATENTLAB_ASSERT(static_cast<int64_t>(c.size()) == targets.size(1), "one C per head");
  const int64_t n = x.size(0), d = x.size(1), a = targets.size(1);
  const auto t = targets.to(x.device(), at::kDouble);
  auto penalty = at::empty({a}, at::kDouble);
  for (int64_t h = 0; h < a; ++h) {
    LATENTLAB_ASSERT(c[h] > 0, "C must be positive");
    penalty[h] = 1.0 / (c[h] * n);
  }
  penalty = penalty.to(x.device());
  const bool cpu = x.device().is_cpu();
  const auto t_cpu = cpu ? t.contiguous() : at::Tensor();
  const auto design = detail::make_logistic_design(x, options, penalty.min().item<double>());
  auto model = minimise_in_phases(d, a, a, x, options, design, warm_start, [&](const at::Tensor& theta, bool float32) {
    const auto w = theta.narrow(0, 0, d);
    const auto z = design.logits(theta, float32);
    const auto qw = design.penalty_metric(w);
    at::Tensor value, residual;
    if (cpu) {
      at::Tensor p;
      at::Tensor losses;  // (N, A) per-element BCE
      sigmoid_cross_entropy_cpu(z, t_cpu.data_ptr<double>(), p, &losses);
      value = losses.sum(0) / n + 0.5 * penalty * (w * qw).sum(0);
      residual = (p - t) / n;
    } else {
      // softplus(z) - t z is the BCE of sigmoid(z); at::softplus is stable for large |z|.
      value = (at::softplus(z) - t * z).sum(0) / n + 0.5 * penalty * (w * qw).sum(0);
      residual = (at::sigmoid(z) - t) / n;
    }
    return std::make_pair(value, design.gradient(theta, residual, qw * penalty, float32));
  });
  model.multinomial = false;
  return model;
}

}  // namespace latentlab::metrics
