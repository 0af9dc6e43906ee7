// DCI with gradient-boosted-tree importances (metrics/disentanglement/dci.h, importance "gbt": our exact
// GradientBoostingClassifier() port, factors fitted in parallel) against disentanglement_lib's route through
// scikit-learn (tests/bench/dci_gbt_bench.py: one GradientBoostingClassifier() per factor), timed in the same
// run on the same codes. Prints both times, the ratio (issue 6: >= 5x) and both D, C and informativeness.
// Codes: J continuous codes; code k < K = factor k scaled to [0, 1] plus noise, the others random mixtures of
// the factors plus noise (no ties, so both sides grow the same trees up to tie-breaks between features).
// Factors have 3, 6, 10, 8 and 8 values (dSprites-like, orientation coarsened).
// Run: build/bin/bench_dci_gbt [N_TRAIN=4000] [N_TEST=2000] [CODES=10]
#include <chrono>
#include <cmath>
#include <cstdio>
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
#include "metrics/disentanglement/dci.h"
#include "support/test_support.h"

using namespace latentlab;

int main(int argc, char** argv) {
  latentlab::tune_allocator();  // as the latentlab program does (core/allocator.h)
  const int64_t n_train = argc > 1 ? std::stoll(argv[1]) : 4000;
  const int64_t n_test = argc > 2 ? std::stoll(argv[2]) : 2000;
  const int64_t j = argc > 3 ? std::stoll(argv[3]) : 10;
  const std::vector<int64_t> sizes{3, 6, 10, 8, 8};
  const int64_t k = static_cast<int64_t>(sizes.size());
  if (j < k) {
    std::fprintf(stderr, "CODES must be at least %lld\n", static_cast<long long>(k));
    return 2;
  }
  const int cores = available_cores();
  at::set_num_threads(cores);
  at::manual_seed(0);
  const auto mixing = at::randn({k, j - k}, at::kDouble);
  auto make = [&](int64_t rows, at::Tensor& codes, at::Tensor& factors) {
    factors = at::empty({rows, k}, at::kLong);
    for (int64_t f = 0; f < k; ++f) factors.select(1, f).copy_(at::randint(sizes[f], {rows}, at::kLong));
    const auto unit = factors.to(at::kDouble) / (at::tensor(sizes, at::kDouble) - 1);
    codes = at::cat({unit, at::mm(unit, mixing)}, 1) + 0.1 * at::randn({rows, j}, at::kDouble);
  };
  at::Tensor x_train, f_train, x_test, f_test;
  make(n_train, x_train, f_train);
  make(n_test, x_test, f_test);

  testing::ScratchDir dir;
  const std::string data = dir.file("dci.npz");
  io::write_npz(data,
                {{"codes_train", io::to_array(x_train)},
                 {"codes_test", io::to_array(x_test)},
                 {"factors_train", io::to_array(f_train)},
                 {"factors_test", io::to_array(f_test)}},
                false);

  metrics::DciOptions options;
  options.importance = "gbt";
  const auto start = std::chrono::steady_clock::now();
  const auto ours = metrics::compute_dci(x_train, f_train, x_test, f_test, options);
  const double our_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const std::string last = bench::python_peer_last_line("dci_gbt_bench.py", data);
  double theirs = 0, d = 0, c = 0, info_train = 0, info_test = 0;
  std::sscanf(last.c_str(), "%lf %lf %lf %lf %lf", &theirs, &d, &c, &info_train, &info_test);
  std::printf(
      "DCI with GradientBoostingClassifier() importances: %lld train / %lld test rows, %lld codes, factors "
      "of 3, 6, 10, 8, 8 values, %d cores\n",
      static_cast<long long>(n_train), static_cast<long long>(n_test), static_cast<long long>(j), cores);
  std::printf("sklearn, dlib's route (peer)  %8.2f s  D %.4f  C %.4f  accuracy train %.4f test %.4f\n", theirs, d, c,
              info_train, info_test);
  std::printf("latentlab compute_dci (gbt)   %8.2f s  D %.4f  C %.4f  accuracy train %.4f test %.4f\n", our_seconds,
              ours.disentanglement, ours.completeness, ours.informativeness_train, ours.informativeness_test);
  std::printf("speed-up %.1fx   |D difference| %.4f  |C difference| %.4f\n", theirs / our_seconds,
              std::abs(ours.disentanglement - d), std::abs(ours.completeness - c));
  return 0;
}
