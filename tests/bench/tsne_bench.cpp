// t-SNE of the uniformity measure (metrics/analysis/tsne.h: the k-NN affinities, Barnes–Hut gradient, sklearn's
// optimiser) against scikit-learn's TSNE with the same settings (tests/bench/tsne_bench.py: perplexity 30,
// 1000 iterations, PCA start, angle 0.5), timed in the same run on the same rows. Prints both times, the ratio,
// both final KLs and the KDE Gini of both embeddings (the uniformity measure of one run).
// Rows: n normalised C-dim vectors from 8 random Gaussian clusters with per-dimension scales (VA-VAE's recipe
// draws 10,000 single-pixel C-vectors; C = 32 for the f16d32 VAEs).
// Run: build/bin/bench_tsne [ROWS=10000] [C=32]
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "bench/python_peer.h"
#include "core/allocator.h"
#include "core/runtime.h"
#include "io/npz.h"
#include "io/tensor_convert.h"
#include "metrics/analysis/kde_uniformity.h"
#include "metrics/analysis/tsne.h"
#include "support/test_support.h"

using namespace latentlab;

int main(int argc, char** argv) {
  latentlab::tune_allocator();  // as the latentlab program does (core/allocator.h)
  const int64_t n = argc > 1 ? std::stoll(argv[1]) : 10000;
  const int64_t c = argc > 2 ? std::stoll(argv[2]) : 32;
  const int cores = available_cores();
  at::set_num_threads(cores);
  at::manual_seed(0);
  const auto centres = 2.0 * at::randn({8, c}, at::kDouble);
  const auto scales = 0.3 + at::rand({8, c}, at::kDouble);
  const auto cluster = at::randint(8, {n}, at::kLong);
  auto x = centres.index_select(0, cluster) + scales.index_select(0, cluster) * at::randn({n, c}, at::kDouble);
  x = ((x - x.mean(0, true)) / x.std(0, /*unbiased=*/false, /*keepdim=*/true)).contiguous();
  testing::ScratchDir dir;
  const std::string data = dir.file("tsne.npz");
  io::write_npz(data, {{"x", io::to_array(x)}}, false);

  const metrics::TsneOptions options;
  const auto start = std::chrono::steady_clock::now();
  const auto ours = metrics::tsne(x, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double our_gini = metrics::density_gini(ours.embedding);

  std::istringstream last(bench::python_peer_last_line("tsne_bench.py", data));
  double theirs = 0, their_kl = 0, their_gini = 0;
  int64_t their_iterations = 0;
  last >> theirs >> their_kl >> their_iterations >> their_gini;
  std::printf("t-SNE to 2-D, %lld x %lld rows, perplexity 30, 1000 iterations, Barnes-Hut angle 0.5, %d cores\n",
              static_cast<long long>(n), static_cast<long long>(c), cores);
  std::printf("sklearn TSNE (peer)   %8.2f s  KL %.4f  n_iter_ %lld  KDE Gini %.4f\n", theirs, their_kl,
              static_cast<long long>(their_iterations), their_gini);
  std::printf("latentlab tsne        %8.2f s  KL %.4f  n_iter_ %lld  KDE Gini %.4f\n", seconds, ours.kl,
              static_cast<long long>(ours.iterations), our_gini);
  std::printf("speed-up %.2fx\n", theirs / seconds);
  return 0;
}
