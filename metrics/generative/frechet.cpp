#include "metrics/generative/frechet.h"

#include <limits>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "core/error.h"

namespace latentlab::metrics {
namespace {

// Eigenvalues below the numerical-rank cutoff (numpy's matrix_rank: largest x dimension x machine epsilon)
// are rounding noise of a zero eigenvalue; their square roots (~1e-8 relative each) would add up over the
// null space of a rank-deficient covariance, so they count as zero.
at::Tensor clamp_to_numerical_rank(const at::Tensor& eigenvalues) {
  const double cutoff = eigenvalues.max().item<double>() * static_cast<double>(eigenvalues.size(0)) *
                        std::numeric_limits<double>::epsilon();
  return at::where(eigenvalues > cutoff, eigenvalues, at::zeros_like(eigenvalues));
}

at::Tensor symmetric_sqrt(const at::Tensor& s) {
  const auto [eigenvalues, eigenvectors] = at::linalg_eigh(s);
  return at::matmul(eigenvectors * clamp_to_numerical_rank(eigenvalues).sqrt(), eigenvectors.t());
}

void check_square(const at::Tensor& sigma, int64_t dim, const char* name) {
  if (sigma.dim() != 2 || sigma.size(0) != dim || sigma.size(1) != dim)
    fail("statistics", "{} has shape [{}], expected [{}, {}]", name, fmt::join(sigma.sizes(), ", "), dim, dim);
  if (!at::isfinite(sigma).all().item<bool>()) fail("statistics", "{} holds NaN or infinite values", name);
}

}  // namespace

double trace_sqrt_product(const at::Tensor& sigma1, const at::Tensor& sigma2) {
  const at::Tensor s1 = sigma1.to(at::kCPU, at::kDouble), s2 = sigma2.to(at::kCPU, at::kDouble);
  const at::Tensor root = symmetric_sqrt((s1 + s1.t()) / 2);
  at::Tensor a = at::matmul(at::matmul(root, s2), root);
  a = (a + a.t()) / 2;  // symmetric up to rounding; eigvalsh reads one triangle
  return clamp_to_numerical_rank(at::linalg_eigvalsh(a)).sqrt().sum().item<double>();
}

double frechet_distance(const at::Tensor& mu1, const at::Tensor& sigma1, const at::Tensor& mu2,
                        const at::Tensor& sigma2) {
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
  return mean_term + s1.trace().item<double>() + s2.trace().item<double>() - 2 * trace_sqrt_product(s1, s2);
}

}  // namespace latentlab::metrics
