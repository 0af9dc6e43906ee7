#include "metrics/generative/frechet.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)

#include "core/error.h"

namespace latentlab::metrics {
namespace {

constexpr double kEpsilon = std::numeric_limits<double>::epsilon();

// Eigenvalues below the numerical-rank cutoff (numpy's matrix_rank: largest x dimension x machine epsilon)
// are rounding noise of a zero eigenvalue; their square roots (~1e-8 relative each) would add up over the
// null space of a rank-deficient covariance, so they count as zero.
at::Tensor clamp_to_numerical_rank(const at::Tensor& eigenvalues) {
  const double cutoff = eigenvalues.max().item<double>() * static_cast<double>(eigenvalues.size(0)) * kEpsilon;
  return at::where(eigenvalues > cutoff, eigenvalues, at::zeros_like(eigenvalues));
}

double sum_sqrt_eigenvalues(const at::Tensor& eigenvalues) {
  return clamp_to_numerical_rank(eigenvalues).sqrt().sum().item<double>();
}

at::Tensor symmetric_sqrt(const at::Tensor& s) {
  const auto [eigenvalues, eigenvectors] = at::linalg_eigh(s);
  return at::matmul(eigenvectors * clamp_to_numerical_rank(eigenvalues).sqrt(), eigenvectors.t());
}

// --- The Cholesky route -------------------------------------------------------------------------------------
//
// When is it safe? Cholesky is backward stable whenever it completes: L L^T = S + E with |E| <= gamma_{D+1}
// |L| |L^T|, so ||E|| ~ D eps max_i S_ii, the same size as the backward error of eigh on the fallback route.
// Both routes therefore give the exact answer for a covariance perturbed at rounding level, and agree to
// rounding where S is positive definite. What the fallback does better is a *singular* S (N <= D samples):
// eigh lets it clamp S's null eigenvalues to exactly zero, whereas Cholesky leaves pivots L_jj^2 of rounding
// size (up to ~D eps max_i S_ii) past the numerical rank, whose square roots would add noise to the trace.
// The criterion is therefore that the factorisation completes with finite entries and every pivot is well
// above that noise level:
//
//     min_j L_jj^2 > kPivotMargin * (D + 1) * eps * max_i S_ii.
//
// min_j L_jj^2 / max_i S_ii is at least lambda_min / lambda_max (each pivot is a Schur complement, >= lambda_min;
// max_i S_ii <= lambda_max), so the ratio is an upper bound on 1 / cond(S): a failing ratio proves near-
// singularity, and exact-arithmetic rank deficiency always shows as a zero pivot. A passing ratio does not
// prove good conditioning, but the sample covariances of N <= D points fail it (tested for D = 2 ... 256).
// With the margin of 100, a D = 2048 covariance takes the fast route for cond up to ~2e10 by this measure.
// Which of two passing covariances is factored does not matter for accuracy: by the backward-error bound above
// either choice gives the exact tr (S1 S2)^(1/2) of a covariance perturbed at rounding level (tested with one
// of them spread over 8 decades). So S1 is tried first and S2 is factored only when S1 fails, which saves one
// D^3 / 3 factorisation (~10 % of the route at D = 2048).
constexpr double kPivotMargin = 100;

struct Factor {
  at::Tensor l;
  double pivot_ratio = -1;  // -1: not positive definite in float64
};

Factor cholesky_factor(const at::Tensor& s) {
  Factor f;
  const auto [l, info] = at::linalg_cholesky_ex(s, /*upper=*/false, /*check_errors=*/false);
  if (info.item<int64_t>() != 0) return f;
  const double max_diagonal = s.diagonal().max().item<double>();
  const double min_pivot = l.diagonal().pow(2).min().item<double>();
  // LAPACK's potrf stops at a NaN pivot, and a NaN or infinity below the diagonal reaches a later pivot, so
  // finite pivots and a finite diagonal of S mean a finite factor (no O(D^2) scan needed).
  if (!(max_diagonal > 0) || !std::isfinite(max_diagonal) || !std::isfinite(min_pivot)) return f;
  f.l = l;
  f.pivot_ratio = min_pivot / max_diagonal;
  return f;
}

bool safely_positive_definite(const Factor& f, int64_t dim) {
  return f.pivot_ratio > kPivotMargin * static_cast<double>(dim + 1) * kEpsilon;
}

// Products block by block (kBlock columns), skipping zero blocks of the triangular factor.
constexpr int64_t kBlock = 256;

// The lower triangle of L^T S L (L lower triangular, S symmetric); the strict upper triangle is left zero, for
// eigvalsh reads the lower one. Two dense GEMMs would cost 4 D^3 flops; here:
//   C = S L, but only its block-lower part: C[j0:, J] = S[j0:, j0:] L[j0:, J]  (2 D^3 / 3 flops),
//   A[I, :i1] = L[i0:, I]^T C[i0:, :i1] for each row block I = [i0, i1)       (D^3 / 3 flops),
// which reads C only in its block-lower part. About D^3 flops in all.
at::Tensor lower_congruence(const at::Tensor& l, const at::Tensor& s) {
  const int64_t n = l.size(0);
  at::Tensor c = at::empty({n, n}, l.options());  // only the block-lower part is written and read
  for (int64_t j0 = 0; j0 < n; j0 += kBlock) {
    const int64_t w = std::min(kBlock, n - j0);
    auto out = c.narrow(0, j0, n - j0).narrow(1, j0, w);
    at::mm_out(out, s.narrow(0, j0, n - j0).narrow(1, j0, n - j0), l.narrow(0, j0, n - j0).narrow(1, j0, w));
  }
  at::Tensor a = at::zeros({n, n}, l.options());
  for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
    const int64_t h = std::min(kBlock, n - i0);
    auto out = a.narrow(0, i0, h).narrow(1, 0, i0 + h);
    at::mm_out(out, l.narrow(0, i0, n - i0).narrow(1, i0, h).t(), c.narrow(0, i0, n - i0).narrow(1, 0, i0 + h));
  }
  return a;
}

// Symmetrising L^T S L before eigvalsh is not needed: eigvalsh reads the lower triangle, which differs from the
// exact product by GEMM rounding (|error| <= D eps |L^T| |S| |L| entrywise), exactly the size of the asymmetry
// that (A + A^T) / 2 would average away; either way the eigenvalues move by O(D eps ||A||).
double trace_sqrt_cholesky(const at::Tensor& l, const at::Tensor& other) {
  return sum_sqrt_eigenvalues(at::linalg_eigvalsh(lower_congruence(l, other), "L"));
}

}  // namespace

const char* route_name(TraceSqrtRoute route) {
  switch (route) {
    case TraceSqrtRoute::CholeskyEigvalsh:
      return "cholesky-eigvalsh";
    case TraceSqrtRoute::SymmetricEigh:
      return "symmetric-eigh";
  }
  return "unknown";
}

double trace_sqrt_product_symmetric(const at::Tensor& sigma1, const at::Tensor& sigma2) {
  const at::Tensor s1 = sigma1.to(at::kCPU, at::kDouble), s2 = sigma2.to(at::kCPU, at::kDouble);
  const at::Tensor root = symmetric_sqrt((s1 + s1.t()) / 2);
  at::Tensor a = at::matmul(at::matmul(root, s2), root);
  a = (a + a.t()) / 2;  // symmetric up to rounding; eigvalsh reads one triangle
  return sum_sqrt_eigenvalues(at::linalg_eigvalsh(a));
}

double trace_sqrt_product(const at::Tensor& sigma1, const at::Tensor& sigma2, FrechetDetails* details) {
  const at::Tensor s1 = sigma1.to(at::kCPU, at::kDouble).contiguous();
  const at::Tensor s2 = sigma2.to(at::kCPU, at::kDouble).contiguous();
  const int64_t dim = s1.size(0);
  FrechetDetails local;
  FrechetDetails& d = details ? *details : local;
  d = FrechetDetails{};
  const at::Tensor* covariances[2] = {&s1, &s2};
  double* pivot_ratios[2] = {&d.pivot_ratio1, &d.pivot_ratio2};
  for (int k = 0; k < 2; ++k) {
    const Factor f = cholesky_factor(*covariances[k]);
    *pivot_ratios[k] = f.pivot_ratio;
    if (!safely_positive_definite(f, dim)) continue;
    d.route = TraceSqrtRoute::CholeskyEigvalsh;
    d.factored = k + 1;
    return trace_sqrt_cholesky(f.l, *covariances[1 - k]);
  }
  return trace_sqrt_product_symmetric(s1, s2);
}

namespace {

void check_square(const at::Tensor& sigma, int64_t dim, const char* name) {
  if (sigma.dim() != 2 || sigma.size(0) != dim || sigma.size(1) != dim)
    fail("statistics", "{} has shape [{}], expected [{}, {}]", name, fmt::join(sigma.sizes(), ", "), dim, dim);
  if (!at::isfinite(sigma).all().item<bool>()) fail("statistics", "{} holds NaN or infinite values", name);
}

}  // namespace

double frechet_distance(const at::Tensor& mu1, const at::Tensor& sigma1, const at::Tensor& mu2,
                        const at::Tensor& sigma2, FrechetDetails* details) {
  if (mu1.dim() != 1 || mu2.dim() != 1 || mu1.size(0) != mu2.size(0))
    fail("statistics", "means of shapes [{}] and [{}] do not match", fmt::join(mu1.sizes(), ", "),
         fmt::join(mu2.sizes(), ", "));
  const int64_t dim = mu1.size(0);
  check_square(sigma1, dim, "sigma1");
  check_square(sigma2, dim, "sigma2");
  if (!at::isfinite(mu1).all().item<bool>() || !at::isfinite(mu2).all().item<bool>())
    fail("statistics", "a mean holds NaN or infinite values");
  const at::Tensor m1 = mu1.to(at::kCPU, at::kDouble), m2 = mu2.to(at::kCPU, at::kDouble);
  const at::Tensor s1 = sigma1.to(at::kCPU, at::kDouble), s2 = sigma2.to(at::kCPU, at::kDouble);
  const double mean_term = (m1 - m2).pow(2).sum().item<double>();
  return mean_term + s1.trace().item<double>() + s2.trace().item<double>() - 2 * trace_sqrt_product(s1, s2, details);
}

}  // namespace latentlab::metrics
