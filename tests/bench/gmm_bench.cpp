// The diagonal GMM sweep of `latentlab analyze --measures gmm` (metrics/analysis/diagonal_gmm.h: EM with
// scikit-learn's updates, K = 1, 2, 4, ..., 64) against scikit-learn's GaussianMixture(covariance_type="diag")
// from the same starts (tests/bench/gmm_bench.py), timed in the same run on the same rows. Prints both times,
// the ratio, both iteration totals and the largest difference of the per-K mean log-likelihoods.
// Rows: n vectors of D values drawn from 8 random Gaussian clusters with per-dimension scales (the
// analysis' normalised pixel vectors have C = D channels; 10,000 rows is its default).
// Run: build/bin/bench_gmm [ROWS=10000] [D=32] [MAX_K=64]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>

#include "bench/python_peer.h"
#include "core/allocator.h"
#include "core/runtime.h"
#include "io/npz.h"
#include "io/tensor_convert.h"
#include "metrics/analysis/diagonal_gmm.h"
#include "support/test_support.h"

using namespace latentlab;

int main(int argc, char** argv) {
  latentlab::tune_allocator();  // as the latentlab program does (core/allocator.h)
  const int64_t n = argc > 1 ? std::stoll(argv[1]) : 10000;
  const int64_t d = argc > 2 ? std::stoll(argv[2]) : 32;
  const int64_t max_k = argc > 3 ? std::stoll(argv[3]) : 64;
  const int cores = available_cores();
  at::set_num_threads(cores);
  at::manual_seed(0);
  const auto centres = 2.0 * at::randn({8, d}, at::kDouble);
  const auto scales = 0.3 + at::rand({8, d}, at::kDouble);
  const auto cluster = at::randint(8, {n}, at::kLong);
  const auto x = (centres.index_select(0, cluster) + scales.index_select(0, cluster) * at::randn({n, d}, at::kDouble))
                     .contiguous();
  std::vector<int64_t> components;
  for (int64_t k = 1; k <= max_k; k *= 2) components.push_back(k);

  const metrics::GmmOptions options;
  std::vector<std::pair<std::string, io::Array>> arrays{{"x", io::to_array(x)},
                                                        {"components", io::to_array(at::tensor(components))}};
  std::vector<metrics::GmmParameters> starts;
  for (int64_t k : components) {
    starts.push_back(metrics::gmm_start(x, k, options));
    arrays.push_back({fmt::format("means_{}", k), io::to_array(starts.back().means)});
  }
  testing::ScratchDir dir;
  const std::string data = dir.file("gmm.npz");
  io::write_npz(data, arrays, false);

  const auto start = std::chrono::steady_clock::now();
  std::vector<metrics::GmmFit> fits;
  for (const auto& s : starts) fits.push_back(metrics::fit_diagonal_gmm(x, s, options));
  const double ours = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int64_t our_iterations = 0;
  for (const auto& f : fits) our_iterations += f.iterations;

  std::istringstream last(bench::python_peer_last_line("gmm_bench.py", data));
  double theirs = 0;
  int64_t their_iterations = 0;
  std::string scores;
  last >> theirs >> their_iterations >> scores;
  double worst = 0;
  std::istringstream list(scores);
  std::string item;
  for (size_t i = 0; std::getline(list, item, ',') && i < fits.size(); ++i)
    worst = std::max(worst, std::abs(std::stod(item) - fits[i].log_likelihood));
  std::printf("diagonal GMM sweep K = 1..%lld (x2), %lld x %lld float64 rows, %d cores\n",
              static_cast<long long>(max_k), static_cast<long long>(n), static_cast<long long>(d), cores);
  std::printf("sklearn GaussianMixture(diag) (peer)  %8.2f s  %lld EM iterations\n", theirs,
              static_cast<long long>(their_iterations));
  std::printf("latentlab fit_diagonal_gmm            %8.2f s  %lld EM iterations\n", ours,
              static_cast<long long>(our_iterations));
  std::printf("speed-up %.1fx   largest |mean log-likelihood difference| %.2e\n", theirs / ours, worst);
  return 0;
}
