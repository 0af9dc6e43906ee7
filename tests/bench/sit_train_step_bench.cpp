// SiT training and sampling throughput: latentlab's C++ SiT against the independent PyTorch SiT of
// tests/reference/models/sit_reference.py (sit_train_step_bench.py), same architecture, the same seeded
// weights (the peer writes them, this side loads that .pt), same batch and thread count, in the same run.
//  - train: steps/s of one REPA training step — flow-matching loss (diffusion/flow_matching.h) + 0.5 × REPA
//    negative cosine against fixed random targets, then train-ldm's own tail (train/step_tail.h: backward,
//    grad-norm clip 1.0 and ForeachAdamW(1e-4, wd 0), the norm read back as the trainer logs it); fastest of
//    ITERS steps after a warm-up step. The peer runs PyTorch's defaults (foreach AdamW and clip on CUDA).
//  - sample: latents/s of the Euler–Maruyama sampler (diffusion/sampler.h, float64 state, CFG 2.5 on
//    [0, 0.75]) with a tiny SiT, one run of STEPS steps on each side.
// Run: build/bin/bench_sit_train_step [PRESET=SiT-B/2] [BATCH=4] [ITERS=3] [THREADS=all cores]
//      [SAMPLE_PRESET=SiT-tiny/2] [SAMPLE_BATCH=16] [SAMPLE_STEPS=50] [DEVICE=cpu|cuda]
// On CUDA both sides run float32 with PyTorch's default TF32 settings and wait for the device before each
// clock reading.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>

#include "core/allocator.h"
#include "core/runtime.h"
#include "diffusion/flow_matching.h"
#include "diffusion/sample_plan.h"
#include "diffusion/sampler.h"
#include "diffusion/sit_velocity.h"
#include "models/sit.h"
#include "support/test_support.h"
#include "train/foreach_adamw.h"
#include "train/step_tail.h"

using namespace latentlab;

namespace {

using Clock = std::chrono::steady_clock;

double peer_rate(const std::string& mode, const std::string& weights, const models::SiTConfig& config, int batch,
                 int count, int threads, const std::string& device) {
  const auto peer = testing::run_command(fmt::format("{} {}/tests/bench/sit_train_step_bench.py {} {} '{}' {} {} {} {}",
                                                     LATENTLAB_REFERENCE_PYTHON, LATENTLAB_SOURCE_DIR, mode, weights,
                                                     config.to_json_string(), batch, count, threads, device));
  if (peer.exit_code != 0) {
    std::fprintf(stderr, "PyTorch peer failed:\n%s\n", peer.err.c_str());
    std::exit(1);
  }
  return std::stod(peer.out.substr(peer.out.find_last_of('\n', peer.out.size() - 2) + 1));
}

models::SiT load(const std::string& weights, const models::SiTConfig& config, const std::string& device) {
  models::SiTLoadOptions options;
  options.config = config;
  auto sit = models::SiT::load(weights, options);
  sit.to(c10::Device(device));
  return sit;
}

// A clock reading after the device has finished its queued work (a no-op on the CPU).
Clock::time_point now_synchronized(const models::SiT& sit) {
  if (sit.device().is_cuda()) at::zeros({1}, at::TensorOptions().device(sit.device())).cpu();
  return Clock::now();
}

double train_rate(const models::SiT& sit, int batch, int iters) {
  const auto& c = sit.config();
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(1);
  const auto on_device = at::TensorOptions().device(sit.device());
  const at::Tensor x = at::randn({batch, c.in_channels, c.input_size, c.input_size}, g).to(on_device);
  const at::Tensor y = at::randint(c.num_classes, {batch}, g, at::kLong).to(on_device);
  std::vector<at::Tensor> targets;
  for (int64_t z : c.z_dims) targets.push_back(at::randn({batch, c.tokens(), z}, g).to(on_device));
  std::vector<at::Tensor> params;
  for (const auto& p : sit.module().parameters())
    if (p.requires_grad()) params.push_back(p);
  train::ForeachAdamW opt(params, torch::optim::AdamWOptions(1e-4).weight_decay(0));
  const auto step = [&] {
    const auto b = diffusion::make_flow_matching_batch(x, {}, g);
    const auto out = sit.forward(b.x_t, b.t, y);
    // F.normalize: x / max(‖x‖, 1e-12) along the feature axis.
    const auto unit = [](const at::Tensor& v) { return v / v.norm(2, {-1}, true).clamp_min(1e-12); };
    at::Tensor proj = at::zeros({}, on_device);
    for (size_t j = 0; j < targets.size(); ++j)
      proj = proj - (unit(out.projections[j]) * unit(targets[j])).sum(-1).mean();
    const auto loss =
        diffusion::flow_matching_loss(out.prediction, b.target) + 0.5 * proj / static_cast<double>(targets.size());
    train::backward_and_step(opt, nullptr, loss, params, 1.0);
  };
  step();
  double fastest = 1e300;
  for (int i = 0; i < iters; ++i) {
    const auto start = now_synchronized(sit);
    step();
    fastest = std::min(fastest, std::chrono::duration<double>(now_synchronized(sit) - start).count());
  }
  return 1.0 / fastest;
}

double sample_rate(const models::SiT& sit, int batch, int steps) {
  const auto& c = sit.config();
  diffusion::SamplerOptions o;
  o.steps = steps;
  o.guidance = {2.5, 0.0, 0.75};
  o.null_class = sit.null_class();
  const auto start = now_synchronized(sit);
  auto draws =
      diffusion::draw_samples(0, batch, {c.in_channels, c.input_size, c.input_size}, {"uniform", c.num_classes}, 2);
  diffusion::sample(diffusion::sit_velocity(sit), draws.noise.to(sit.device()), draws.labels.to(sit.device()), o,
                    &draws.generators);
  return batch / std::chrono::duration<double>(now_synchronized(sit) - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  latentlab::tune_allocator();  // as the latentlab program does (core/allocator.h)
  const std::string preset = argc > 1 ? argv[1] : "SiT-B/2";
  const int batch = argc > 2 ? std::stoi(argv[2]) : 4;
  const int iters = argc > 3 ? std::stoi(argv[3]) : 3;
  const int threads = argc > 4 ? std::stoi(argv[4]) : available_cores();
  const std::string sample_preset = argc > 5 ? argv[5] : "SiT-tiny/2";
  const int sample_batch = argc > 6 ? std::stoi(argv[6]) : 16;
  const int sample_steps = argc > 7 ? std::stoi(argv[7]) : 50;
  const std::string device = argc > 8 ? argv[8] : "cpu";
  testing::ScratchDir dir;
  at::set_num_threads(threads);
  at::manual_seed(0);

  const auto config = models::SiTConfig::preset_config(preset);
  const double theirs_train = peer_rate("train", dir.file("train.pt"), config, batch, iters, threads, device);
  const double ours_train = train_rate(load(dir.file("train.pt"), config, device), batch, iters);

  const auto sample_config = models::SiTConfig::preset_config(sample_preset);
  const double theirs_sample =
      peer_rate("sample", dir.file("sample.pt"), sample_config, sample_batch, sample_steps, threads, device);
  const double ours_sample =
      sample_rate(load(dir.file("sample.pt"), sample_config, device), sample_batch, sample_steps);

  std::printf("%s training step (flow matching + REPA, backward, clip, AdamW) on %s, batch %d, %d steps, %d threads\n",
              preset.c_str(), device.c_str(), batch, iters, threads);
  std::printf("PyTorch reference (peer)   %8.3f steps/s\n", theirs_train);
  std::printf("latentlab C++              %8.3f steps/s   %.2fx the peer\n", ours_train, ours_train / theirs_train);
  std::printf("%s Euler-Maruyama sampling, %d steps, CFG 2.5 on [0, 0.75], batch %d\n", sample_preset.c_str(),
              sample_steps, sample_batch);
  std::printf("PyTorch reference (peer)   %8.1f latents/s\n", theirs_sample);
  std::printf("latentlab C++              %8.1f latents/s   %.2fx the peer\n", ours_sample,
              ours_sample / theirs_sample);
  return 0;
}
