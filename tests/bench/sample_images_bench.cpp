// Image sampling end to end (images/s): what `latentlab sample` does per batch (diffusion/sample_run.cpp) —
// seeded noise and uniform labels (diffusion/sample_plan.h), the Euler–Maruyama sampler with CFG 2.5 on
// [0, 0.75] (diffusion/sampler.h, float64 state, float32 SiT), latents z = x·std + mean (LDM's normalisation:
// mean 0, std 1/0.18215), the AutoencoderKL decoder, and quantisation to uint8 N×H×W×3 — against the same
// pipeline in PyTorch (sample_images_bench.py: the independent reference SiT and AutoencoderKL of
// tests/reference/models and sit_train_step_bench.py's sampling loop), with the same seeded weights (the peer
// writes them, this side loads them), batch, steps and threads, in the same run. No file is written and no
// weights are hashed: only the sampling and decoding are timed. The SiTs carry no REPA projector (sampling
// never runs it). One timed batch per side; on CUDA one untimed SiT forward and one decode come first on both
// sides and clocks wait for the device.
// Two settings per run: the main one (default SiT-B/2 on f8d4 latents, 4×32×32, decoded to 256²) and a tiny
// one (default SiT-tiny/1 with tiny-f4d4, 4×8×8 latents, 32² images).
// Run: build/bin/bench_sample_images [SIT=SiT-B/2] [VAE=f8d4] [BATCH=2] [STEPS=10] [THREADS=all cores]
//      [TINY_SIT=SiT-tiny/1] [TINY_VAE=tiny-f4d4] [TINY_BATCH=16] [TINY_STEPS=50] [DEVICE=cpu|cuda]
// The paper samples with 250 steps; on 2 CPU cores that is ~25× the default's SiT time, so the CPU default is
// 10 steps (decode then weighs more in the rate than at 250 steps).
#include <chrono>
#include <cstdio>
#include <string>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <fmt/format.h>

#include "core/allocator.h"
#include "core/runtime.h"
#include "diffusion/latent_norm.h"
#include "diffusion/sample_plan.h"
#include "diffusion/sample_run.h"
#include "diffusion/sampler.h"
#include "diffusion/sit_velocity.h"
#include "models/autoencoder_kl.h"
#include "models/sit.h"
#include "support/test_support.h"

using namespace latentlab;

namespace {

using Clock = std::chrono::steady_clock;

struct Setting {
  std::string sit, vae;
  int batch = 0, steps = 0;
};

struct Rates {
  double ours = 0, theirs = 0;
  std::string image_shape;
};

// A clock reading after the device has finished its queued work (a no-op on the CPU).
Clock::time_point now_synchronized(const c10::Device& device) {
  if (device.is_cuda()) at::zeros({1}, at::TensorOptions().device(device)).cpu();
  return Clock::now();
}

Rates measure(const Setting& s, int threads, const std::string& device, const testing::ScratchDir& dir) {
  models::SiTConfig config = models::SiTConfig::preset_config(s.sit);
  config.z_dims.clear();  // sampling never runs the REPA projector; neither side builds one
  const std::string sit_file = dir.file("sit.pt"), vae_file = dir.file("vae.pth");
  const auto peer = testing::run_command(fmt::format(
      "{} {}/tests/bench/sample_images_bench.py {} '{}' {} {} {} {} {} {}", LATENTLAB_REFERENCE_PYTHON,
      LATENTLAB_SOURCE_DIR, sit_file, config.to_json_string(), vae_file, s.vae, s.batch, s.steps, threads, device));
  if (peer.exit_code != 0) {
    std::fprintf(stderr, "PyTorch peer failed:\n%s\n", peer.err.c_str());
    std::exit(1);
  }
  Rates r;
  r.theirs = std::stod(peer.out.substr(peer.out.find_last_of('\n', peer.out.size() - 2) + 1));

  const c10::Device dev(device);
  models::SiTLoadOptions sit_options;
  sit_options.config = config;
  models::SiT sit = models::SiT::load(sit_file, sit_options);
  sit.to(dev);
  models::AutoencoderKLLoadOptions vae_options;
  vae_options.config = models::AutoencoderKLConfig::preset_config(s.vae);
  models::AutoencoderKL vae = models::AutoencoderKL::load(vae_file, vae_options);
  vae.to(dev);
  diffusion::LatentNorm norm;
  norm.mean.assign(config.in_channels, 0.0);
  norm.std.assign(config.in_channels, 1 / 0.18215);
  diffusion::SamplerOptions o;
  o.kind = "sde";
  o.steps = s.steps;
  o.guidance = {2.5, 0.0, 0.75};
  o.null_class = sit.null_class();
  const std::vector<int64_t> shape{config.in_channels, config.input_size, config.input_size};

  if (dev.is_cuda()) {
    c10::NoGradGuard no_grad;
    const at::Tensor warm = at::zeros({2 * s.batch, shape[0], shape[1], shape[2]}, at::TensorOptions().device(dev));
    models::SiTForwardOptions plain;
    plain.project = false;
    sit.forward(warm, at::ones({2 * s.batch}, warm.options()),
                at::zeros({2 * s.batch}, at::TensorOptions().dtype(at::kLong).device(dev)), plain);
    vae.decode(warm.narrow(0, 0, s.batch));
  }
  // As sample_run.cpp's sample_batch, without the finiteness check.
  const auto start = now_synchronized(dev);
  diffusion::SampleDraws draws = diffusion::draw_samples(0, s.batch, shape, {"uniform", config.num_classes}, 2);
  const at::Tensor latents =
      diffusion::sample(diffusion::sit_velocity(sit), draws.noise.to(dev), draws.labels.to(dev), o, &draws.generators);
  at::Tensor images;
  {
    c10::NoGradGuard no_grad;
    images = diffusion::quantize_images(vae.decode(norm.denormalize(latents).to(dev, at::kFloat))).cpu();
  }
  r.ours = s.batch / std::chrono::duration<double>(now_synchronized(dev) - start).count();
  r.image_shape = fmt::format("{}x{}x{}x{} uint8", images.size(0), images.size(1), images.size(2), images.size(3));
  return r;
}

void print(const Setting& s, const Rates& r) {
  std::printf("%s + %s decoder, Euler-Maruyama %d steps, CFG 2.5 on [0, 0.75], batch %d -> %s\n", s.sit.c_str(),
              s.vae.c_str(), s.steps, s.batch, r.image_shape.c_str());
  std::printf("PyTorch reference (peer)   %8.3f images/s\n", r.theirs);
  std::printf("latentlab C++              %8.3f images/s   %.2fx the peer\n", r.ours, r.ours / r.theirs);
}

}  // namespace

int main(int argc, char** argv) {
  latentlab::tune_allocator();  // as the latentlab program does (core/allocator.h)
  const auto arg = [&](int i, const char* fallback) { return std::string(argc > i ? argv[i] : fallback); };
  const Setting main_setting{arg(1, "SiT-B/2"), arg(2, "f8d4"), std::stoi(arg(3, "2")), std::stoi(arg(4, "10"))};
  const int threads = argc > 5 ? std::stoi(argv[5]) : available_cores();
  const Setting tiny{arg(6, "SiT-tiny/1"), arg(7, "tiny-f4d4"), std::stoi(arg(8, "16")), std::stoi(arg(9, "50"))};
  const std::string device = arg(10, "cpu");
  at::set_num_threads(threads);
  at::manual_seed(0);
  testing::ScratchDir dir;

  std::printf("Image sampling end to end on %s, %d threads (SiT + decode + uint8)\n", device.c_str(), threads);
  const Rates tiny_rates = measure(tiny, threads, device, dir);
  const Rates main_rates = measure(main_setting, threads, device, dir);
  print(main_setting, main_rates);
  print(tiny, tiny_rates);
  return 0;
}
