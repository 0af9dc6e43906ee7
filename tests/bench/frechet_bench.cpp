// Fréchet distance at D = 2048 (FID's pool3 size): latentlab's metrics::frechet_distance
// (metrics/generative/frechet.h; on these positive definite covariances its Cholesky + eigvalsh route) against
// pytorch-fid's scipy.linalg.sqrtm route (tests/bench/frechet_bench.py), on the same two random covariance
// matrices, timed in the same run. Also times the library's fallback route alone (symmetric eigh, the route
// used before, and still used for rank-deficient covariances). Prints values, times, ratios and the route.
// Issue target: >= 10x over scipy.
// Run: build/bin/bench_frechet [D=2048] [REPEATS=3] [PEER_REPEATS=1] [THREADS=cores]
// (for a one-core comparison of both sides: OMP_NUM_THREADS=1 build/bin/bench_frechet 2048 3 1 1, since
// numpy's OpenBLAS takes its thread count from OMP_NUM_THREADS).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>

#include "core/allocator.h"
#include "core/runtime.h"
#include "io/npz.h"
#include "io/tensor_convert.h"
#include "metrics/generative/frechet.h"
#include "support/test_support.h"

using namespace latentlab;

namespace {

// A full-rank covariance with a spread of eigenvalues, like pool3 statistics of 2 D samples.
at::Tensor random_covariance(int64_t d, double scale) {
  const auto a = at::randn({d, 2 * d}, at::kDouble) * scale;
  return at::matmul(a, a.t()) / (2 * d);
}

}  // namespace

int main(int argc, char** argv) {
  latentlab::tune_allocator();  // as the latentlab program does (core/allocator.h)
  const int64_t d = argc > 1 ? std::stoll(argv[1]) : 2048;
  const int repeats = argc > 2 ? std::stoi(argv[2]) : 3;
  const int peer_repeats = argc > 3 ? std::stoi(argv[3]) : 1;
  const int cores = argc > 4 ? std::stoi(argv[4]) : available_cores();
  at::set_num_threads(cores);
  at::manual_seed(2023);
  const auto mu1 = at::randn({d}, at::kDouble), mu2 = at::randn({d}, at::kDouble) * 0.5 + 0.1;
  const auto sigma1 = random_covariance(d, 1.0), sigma2 = random_covariance(d, 1.3);

  testing::ScratchDir dir;
  const std::string stats = dir.file("stats.npz");
  io::write_npz(stats,
                {{"mu1", io::to_array(mu1)},
                 {"sigma1", io::to_array(sigma1)},
                 {"mu2", io::to_array(mu2)},
                 {"sigma2", io::to_array(sigma2)}},
                false);

  metrics::FrechetDetails details;
  double ours = INFINITY, value = 0;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    value = metrics::frechet_distance(mu1, sigma1, mu2, sigma2, &details);
    ours = std::min(ours, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  // The fallback route alone, with the same mean and trace terms around it.
  double fallback = INFINITY, fallback_value = 0;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    fallback_value = (mu1 - mu2).pow(2).sum().item<double>() + sigma1.trace().item<double>() +
                     sigma2.trace().item<double>() - 2 * metrics::trace_sqrt_product_symmetric(sigma1, sigma2);
    fallback = std::min(fallback, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  const auto peer =
      testing::run_command(fmt::format("{} {}/tests/bench/frechet_bench.py {} {}", LATENTLAB_REFERENCE_PYTHON,
                                       LATENTLAB_SOURCE_DIR, stats, peer_repeats));
  if (peer.exit_code != 0) {
    std::fprintf(stderr, "scipy peer failed:\n%s\n", peer.err.c_str());
    return 1;
  }
  const auto end = peer.out.find_last_not_of('\n');
  const auto line_start = peer.out.find_last_of('\n', end);
  const std::string last = peer.out.substr(line_start == std::string::npos ? 0 : line_start + 1);
  size_t used = 0;
  const double theirs = std::stod(last, &used);
  const double their_value = std::stod(last.substr(used));

  std::printf("Frechet distance, D = %lld, %d cores (LibTorch %d threads)\n", static_cast<long long>(d), cores,
              at::get_num_threads());
  std::printf("scipy sqrtm (pytorch-fid, peer)      %8.3f s   d^2 = %.10f   best of %d\n", theirs, their_value,
              peer_repeats);
  std::printf("latentlab frechet_distance           %8.3f s   d^2 = %.10f   best of %d\n", ours, value, repeats);
  std::printf("  route %s (factored sigma%d; pivot ratios %.3g, %.3g)\n", metrics::route_name(details.route),
              details.factored, details.pivot_ratio1, details.pivot_ratio2);
  std::printf("|difference| = %.3g (%.3g relative)   speed-up %.1fx\n", std::abs(value - their_value),
              std::abs(value - their_value) / std::abs(their_value), theirs / ours);
  std::printf("fallback route alone, symmetric eigh %8.3f s   d^2 = %.10f   speed-up %.1fx\n", fallback, fallback_value,
              theirs / fallback);
  return 0;
}
