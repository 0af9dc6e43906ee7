// AutoencoderKL encode throughput (images/s): latentlab's C++ model against the PyTorch reference model
// (autoencoder_kl_bench.py, using tests/reference/models/autoencoder_kl_reference.py) on the same preset,
// the same seeded weights (the peer writes them, the C++ side loads that .pth), the same batch shape and the
// same number of intra-op threads, in the same run. Both encode under no-grad after one warm-up batch and
// return mean, logvar and std; each side reports the fastest of its ITERS batches, which is robust to other
// load on the machine.
// Run: build/bin/bench_autoencoder_kl [PRESET=small-f8d8] [RES=64] [BATCH=16] [ITERS=5] [THREADS=all cores]
//      [DEVICE=cpu|cuda] (on CUDA both sides synchronise before reading the clock; TF32 left at each side's default)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <fmt/format.h>

#include "core/allocator.h"
#include "core/runtime.h"
#include "models/autoencoder_kl.h"
#include "support/test_support.h"

using namespace latentlab;

int main(int argc, char** argv) {
  latentlab::tune_allocator();  // as the latentlab program does (core/allocator.h)
  const std::string preset = argc > 1 ? argv[1] : "small-f8d8";
  const int res = argc > 2 ? std::stoi(argv[2]) : 64;
  const int batch = argc > 3 ? std::stoi(argv[3]) : 16;
  const int iters = argc > 4 ? std::stoi(argv[4]) : 5;
  const int threads = argc > 5 ? std::stoi(argv[5]) : available_cores();
  const std::string device = argc > 6 ? argv[6] : "cpu";
  testing::ScratchDir dir;
  const std::string weights = dir.file("weights.pth");

  const auto peer = testing::run_command(fmt::format("{} {}/tests/bench/autoencoder_kl_bench.py {} {} {} {} {} {} {}",
                                                     LATENTLAB_REFERENCE_PYTHON, LATENTLAB_SOURCE_DIR, weights, preset,
                                                     res, batch, iters, threads, device));
  if (peer.exit_code != 0) {
    std::fprintf(stderr, "PyTorch peer failed:\n%s\n", peer.err.c_str());
    return 1;
  }
  const std::string last = peer.out.substr(peer.out.find_last_of('\n', peer.out.size() - 2) + 1);
  const double theirs = std::stod(last);

  at::set_num_threads(threads);
  models::AutoencoderKLLoadOptions options;
  options.config = models::AutoencoderKLConfig::preset_config(preset);
  models::AutoencoderKL model = models::AutoencoderKL::load(weights, options);
  model.to(at::Device(device));
  at::Generator gen = at::detail::createCPUGenerator(1);
  const at::Tensor images = (at::rand({batch, 3, res, res}, gen) * 2 - 1).to(at::Device(device));
  at::NoGradGuard no_grad;
  // Reading one element back waits for the device's queue (a no-op on CPU).
  const auto synchronise = [](const models::Posterior& p) { p.std.view(-1)[0].item<float>(); };
  synchronise(model.encode(images));  // warm-up
  double fastest = 1e300;
  for (int i = 0; i < iters; ++i) {
    const auto start = std::chrono::steady_clock::now();
    synchronise(model.encode(images));
    fastest = std::min(fastest, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  const double ours = batch / fastest;

  std::printf("AutoencoderKL %s encode on %s, batch %dx3x%dx%d, %d batches, %d threads\n", preset.c_str(),
              device.c_str(), batch, res, res, iters, threads);
  std::printf("PyTorch reference (peer)   %8.1f img/s\n", theirs);
  std::printf("latentlab C++              %8.1f img/s   %.2fx the peer\n", ours, ours / theirs);
  return 0;
}
