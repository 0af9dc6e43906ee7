// VAE training steps/s: latentlab's VaeTrainer::train_step (plain mode: AutoencoderKL + L1 + LPIPS-VGG + KL +
// GAN, AdamW with clipping, then the PatchGAN's hinge step) against the same model and loss in PyTorch
// (vae_train_step_bench.py, with the independent reference models of tests/reference/models) on the same
// preset, batch shape and number of intra-op threads, in the same run. Weights are random on both sides (speed
// does not depend on their values); LPIPS files come from tests/reference/models/lpips_reference.py. Each side
// reports its fastest of ITERS steps after one warm-up step. A second latentlab row times our step with the
// discriminator's weight gradients formed in the generator's pass, as before D was frozen there (the peer's way).
// Run: build/bin/bench_vae_train_step [PRESET=f16d32] [RES=64] [BATCH=8] [ITERS=3] [THREADS=all cores]
//      [DEVICE=cpu|cuda] [PEER=1] [OLD_WAY=1]
// PEER=0 skips the PyTorch side and OLD_WAY=0 the second latentlab row (e.g. to measure our peak memory alone).
// 256² is the paper's size; on 2 CPU cores one f16d32 step there takes minutes, so the default is 64².
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>

#include "core/allocator.h"
#include "core/runtime.h"
#include "support/test_support.h"
#include "train/vae_trainer.h"

using namespace latentlab;

namespace {

class NoImages : public datasets::ImageSource {
 public:
  const datasets::DatasetInfo& info() const override { return info_; }
  datasets::Example get(int64_t) const override { return {}; }

 private:
  datasets::DatasetInfo info_{"none", "bench: batches are given directly", 0, {}, {}};
};

}  // namespace

int main(int argc, char** argv) {
  latentlab::tune_allocator();  // as the latentlab program does (core/allocator.h)
  const std::string preset = argc > 1 ? argv[1] : "f16d32";
  const int res = argc > 2 ? std::stoi(argv[2]) : 64;
  const int batch = argc > 3 ? std::stoi(argv[3]) : 8;
  const int iters = argc > 4 ? std::stoi(argv[4]) : 3;
  const int threads = argc > 5 ? std::stoi(argv[5]) : available_cores();
  const std::string device = argc > 6 ? argv[6] : "cpu";
  testing::ScratchDir dir;

  const bool run_peer = argc > 7 ? std::stoi(argv[7]) != 0 : true;
  const bool run_old_way = argc > 8 ? std::stoi(argv[8]) != 0 : true;
  double theirs = 0;
  if (run_peer) {
    const auto peer = testing::run_command(fmt::format("{} {}/tests/bench/vae_train_step_bench.py {} {} {} {} {} {}",
                                                       LATENTLAB_REFERENCE_PYTHON, LATENTLAB_SOURCE_DIR, preset, res,
                                                       batch, iters, threads, device));
    if (peer.exit_code != 0) {
      std::fprintf(stderr, "PyTorch peer failed:\n%s\n", peer.err.c_str());
      return 1;
    }
    const std::string last = peer.out.substr(peer.out.find_last_of('\n', peer.out.size() - 2) + 1);
    theirs = std::stod(last);
  }

  const auto lp = testing::run_reference_python("models/lpips_reference.py", "write " + dir.path() + " --size 16 16");
  if (lp.exit_code != 0) {
    std::fprintf(stderr, "LPIPS weights failed:\n%s\n", lp.err.c_str());
    return 1;
  }
  at::set_num_threads(threads);
  train::VaeTrainOptions o;
  o.preset = preset;
  o.batch_size = batch;
  o.lpips_weight = 1.0;
  o.lpips_weights = {dir.file("vgg16.pth"), dir.file("heads.pth")};
  o.out = dir.path();
  o.device = device;
  o.validate();
  NoImages none;
  at::Generator gen = at::detail::createCPUGenerator(1);
  const at::Tensor images = at::randint(0, 256, {batch, 3, res, res}, gen, at::kByte);
  // Steps/s of our step; `disc_grads`: the generator's pass through D also forms D's weight gradients, as
  // before D was frozen there (the peer does that too).
  const auto steps_per_second = [&](bool disc_grads) {
    o.disc_grads_in_generator_step = disc_grads;
    train::VaeTrainer trainer(o, none);
    trainer.train_step(images);  // warm-up
    double fastest = 1e300;
    for (int i = 0; i < iters; ++i) {
      const auto start = std::chrono::steady_clock::now();
      trainer.train_step(images);  // item() on the loss terms waits for the device
      fastest = std::min(fastest, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    return 1.0 / fastest;
  };
  const double ours = steps_per_second(false);
  const double with_disc_grads = run_old_way ? steps_per_second(true) : 0;

  std::printf("VAE training step, %s on %s, batch %dx3x%dx%d, L1 + LPIPS + KL + GAN + D step, %d steps, %d threads\n",
              preset.c_str(), device.c_str(), batch, res, res, iters, threads);
  const auto versus_peer = [&](double v) { return run_peer ? fmt::format("   {:.2f}x the peer", v / theirs) : ""; };
  if (run_peer) std::printf("PyTorch reference (peer)   %8.4f steps/s\n", theirs);
  std::printf("latentlab C++              %8.4f steps/s%s\n", ours, versus_peer(ours).c_str());
  if (run_old_way)
    std::printf("  with D weight grads in G %8.4f steps/s%s (the step before D was frozen there)\n", with_disc_grads,
                versus_peer(with_disc_grads).c_str());
  return 0;
}
