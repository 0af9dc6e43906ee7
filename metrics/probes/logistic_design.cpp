#include "metrics/probes/logistic_design.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

namespace latentlab::metrics::detail {
namespace {

using Preconditioning = LogisticDesign::Preconditioning;

// rest * v + U diag(scale) U^T v: one of the low-rank operators P, P^-1, Q applied to v (D, C).
at::Tensor apply_low_rank(const LogisticDesign& d, const at::Tensor& scale, double rest, const at::Tensor& v) {
  return at::addmm(v * rest, d.u, at::mm(d.u.t(), v) * scale.unsqueeze(1));
}

void set_exact(LogisticDesign& d, const at::Tensor& x, double lambda) {
  const auto gram = at::mm(x.t(), x) / static_cast<double>(x.size(0));
  const auto [values, vectors] = at::linalg_eigh(gram);
  const auto s = values.clamp_min(0) / 4 + lambda;
  d.p = at::mm(vectors * s.rsqrt(), vectors.t());
  d.p_inverse = at::mm(vectors * s.sqrt(), vectors.t());
  d.q = at::mm(vectors * s.reciprocal(), vectors.t());
  d.x = at::mm(x, d.p);
}

// Nystrom approximation of G = X^T X / N from one sketch Y = G Omega (Frangella et al., Alg. 2.1): a shift nu
// at the products' precision keeps the core Omega^T Y positive definite; B = Y_nu chol(Omega^T Y_nu)^-T; G ~
// B B^T - nu I. The sketch uses float32 products when the fit has a float32 copy: the preconditioner only
// shapes the path, never the optimum.
// False (and d untouched) when no shift makes the core positive definite.
bool set_low_rank(LogisticDesign& d, const at::Tensor& x, int64_t rank, double lambda) {
  const int64_t n = x.size(0), dim = x.size(1), k = std::min(rank, dim);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(0x5eed);
  auto omega = std::get<0>(at::linalg_qr(at::randn({dim, k}, generator, at::TensorOptions(at::kDouble))));
  omega = omega.to(x.device());
  const auto& xs = d.x32.defined() ? d.x32 : x;
  auto y = at::mm(xs.t(), at::mm(xs, omega.to(xs.scalar_type()))).to(at::kDouble) / static_cast<double>(n);
  const double eps =
      xs.scalar_type() == at::kFloat ? std::numeric_limits<float>::epsilon() : std::numeric_limits<double>::epsilon();
  double nu = std::sqrt(static_cast<double>(dim)) * eps * y.norm().item<double>();
  y = y + nu * omega;
  auto core = at::mm(omega.t(), y);
  core = 0.5 * (core + core.t());
  at::Tensor chol;
  for (int attempt = 0; attempt < 4 && !chol.defined(); ++attempt) {
    auto [factor, info] = at::linalg_cholesky_ex(core);
    if (info.item<int64_t>() == 0) {
      chol = factor;
    } else {  // rounding beat the shift (a rank-deficient X): shift further
      const double bump = 9.0 * nu;
      nu += bump;
      y = y + bump * omega;
      core = core + bump * at::eye(core.size(0), core.options());
    }
  }
  if (!chol.defined()) return false;
  const auto b = at::linalg_solve_triangular(chol, y.t(), /*upper=*/false).t();  // (D, k)
  const auto [sigma2, w] = at::linalg_eigh(at::mm(b.t(), b));                    // ascending
  // Directions B does not reach (sigma ~ 0: rank-deficient X) are left to the rest of the space.
  const auto keep = (sigma2 > 1e-12 * sigma2.max()).nonzero().squeeze(1);
  const auto s2 = sigma2.index_select(0, keep);
  d.u = at::mm(b, w.index_select(1, keep)) / s2.sqrt();
  const auto curvature = (s2 - nu).clamp_min(0) / 4 + lambda;  // kept eigenvalues of G/4 + lambda I
  const double rest = curvature.min().item<double>();          // Frangella et al.: the smallest kept one
  const auto scale = curvature.rsqrt();
  d.p_rest = 1.0 / std::sqrt(rest);
  d.p_inverse_rest = std::sqrt(rest);
  d.q_rest = 1.0 / rest;
  d.p_scale = scale - d.p_rest;
  d.p_inverse_scale = scale.reciprocal() - d.p_inverse_rest;
  d.q_scale = scale * scale - d.q_rest;
  d.x = x;
  return true;
}

}  // namespace

LogisticDesign make_logistic_design(const at::Tensor& x, const LogisticOptions& options, double lambda) {
  LogisticDesign d;
  const int64_t dim = x.size(1);
  const bool float32 = options.float32_phase_min_size > 0 && x.numel() >= options.float32_phase_min_size;
  if (dim >= 64 && dim <= options.precondition_max_dim) {
    d.kind = Preconditioning::exact;
    set_exact(d, x, lambda);
    if (float32) d.x32 = d.x.to(at::kFloat);
  } else {
    d.x = x;
    if (float32) d.x32 = x.to(at::kFloat);
    if (dim >= 64 && options.low_rank_preconditioner > 0 && set_low_rank(d, x, options.low_rank_preconditioner, lambda))
      d.kind = Preconditioning::low_rank;
  }
  return d;
}

at::Tensor LogisticDesign::logits(const at::Tensor& theta, bool float32) const {
  const int64_t dim = x.size(1);
  auto w = theta.narrow(0, 0, dim);
  if (kind == Preconditioning::low_rank) w = apply_low_rank(*this, p_scale, p_rest, w);
  const auto b = theta[dim];
  if (!float32) return at::addmm(b, x, w).contiguous();
  return at::addmm(b.to(at::kFloat), x32, w.to(at::kFloat)).to(at::kDouble).contiguous();
}

at::Tensor LogisticDesign::gradient(const at::Tensor& theta, const at::Tensor& residual, const at::Tensor& penalty_grad,
                                    bool float32) const {
  const int64_t dim = x.size(1);
  auto data = float32 ? at::mm(x32.t(), residual.to(at::kFloat)).to(at::kDouble) : at::mm(x.t(), residual);
  if (kind == Preconditioning::low_rank) data = apply_low_rank(*this, p_scale, p_rest, data);
  auto grad = at::empty_like(theta);
  grad.narrow(0, 0, dim).copy_(data + penalty_grad);
  grad[dim].copy_(residual.sum(0));
  return grad;
}

at::Tensor LogisticDesign::penalty_metric(const at::Tensor& v) const {
  switch (kind) {
    case Preconditioning::exact:
      return at::mm(q, v);
    case Preconditioning::low_rank:
      return apply_low_rank(*this, q_scale, q_rest, v);
    default:
      return v;
  }
}

at::Tensor LogisticDesign::to_v(const at::Tensor& w) const {
  switch (kind) {
    case Preconditioning::exact:
      return at::mm(p_inverse, w);
    case Preconditioning::low_rank:
      return apply_low_rank(*this, p_inverse_scale, p_inverse_rest, w);
    default:
      return w;
  }
}

at::Tensor LogisticDesign::to_w(const at::Tensor& v) const {
  switch (kind) {
    case Preconditioning::exact:
      return at::mm(p, v);
    case Preconditioning::low_rank:
      return apply_low_rank(*this, p_scale, p_rest, v);
    default:
      return v;
  }
}

}  // namespace latentlab::metrics::detail
