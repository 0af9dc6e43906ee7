// latentlab smoke: a short end-to-end check that this build works on this machine: trains a small seeded
// convolutional autoencoder on procedurally generated images, saves it as safetensors, reloads it into a
// fresh model and checks bitwise-equal outputs, times a float32 GEMM, and writes a results JSON.
// It stands in for `make demo` until the full pipeline exists.
#include <chrono>
#include <filesystem>
#include <iostream>

#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>
#include <torch/optim/adam.h>

#include "core/error.h"
#include "core/log.h"
#include "core/options.h"
#include "core/progress.h"
#include "core/runtime.h"
#include "io/results_json.h"
#include "io/safetensors.h"
#include "io/tensor_convert.h"
#include "io/weights.h"

namespace latentlab::tools {
namespace {

struct SmokeOptions {
  std::string out = "smoke-out";
  int steps = 150;
  int batch_size = 32;
  int resolution = 32;
  double lr = 2e-3;

  void register_options(OptionGroup& g) {
    g.add("out", &out, "Output directory (created if missing)");
    g.add("steps", &steps, "Training steps");
    g.add("batch-size", &batch_size, "Images per step");
    g.add("resolution", &resolution, "Image side in pixels (a multiple of 4)");
    g.add("lr", &lr, "Adam learning rate");
  }
};

torch::nn::Sequential make_autoencoder() {
  namespace nn = torch::nn;
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(3, 32, 3).padding(1)), nn::GroupNorm(8, 32), nn::SiLU(),
                        nn::Conv2d(nn::Conv2dOptions(32, 32, 4).stride(2).padding(1)), nn::SiLU(),
                        nn::Conv2d(nn::Conv2dOptions(32, 4, 4).stride(2).padding(1)),  // the latent: 4 x r/4 x r/4
                        nn::ConvTranspose2d(nn::ConvTranspose2dOptions(4, 32, 4).stride(2).padding(1)), nn::SiLU(),
                        nn::ConvTranspose2d(nn::ConvTranspose2dOptions(32, 32, 4).stride(2).padding(1)),
                        nn::GroupNorm(8, 32), nn::SiLU(), nn::Conv2d(nn::Conv2dOptions(32, 3, 3).padding(1)));
}

// Images of three soft coloured blobs on a dark background, values in [-1, 1]: (n, 3, r, r) float32.
at::Tensor blob_images(int64_t n, int64_t r, at::Generator& gen) {
  auto grid = at::linspace(0, 1, r);
  auto ys = grid.view({1, 1, r, 1}), xs = grid.view({1, 1, 1, r});
  auto image = at::zeros({n, 3, r, r});
  for (int blob = 0; blob < 3; ++blob) {
    auto centre = at::rand({2, n, 1, 1, 1}, gen);
    auto width = 0.05 + 0.1 * at::rand({n, 1, 1, 1}, gen);
    auto colour = at::rand({n, 3, 1, 1}, gen);
    auto dist2 = (xs - centre[0]).pow(2) + (ys - centre[1]).pow(2);
    image = image + colour * at::exp(-dist2 / (2 * width * width));
  }
  return image.clamp(0, 1) * 2 - 1;
}

double gemm_gflops() {
  auto a = at::randn({1024, 1024}), b = at::randn({1024, 1024});
  at::matmul(a, b);  // warm-up
  const auto start = std::chrono::steady_clock::now();
  const int repeats = 5;
  for (int i = 0; i < repeats; ++i) at::matmul(a, b);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return repeats * 2.0 * 1024 * 1024 * 1024 / seconds / 1e9;
}

}  // namespace

int smoke_main(int argc, const char* const* argv) {
  SmokeOptions options;
  RuntimeOptions runtime_options;
  OptionGroup group("Smoke options"), runtime_group("Runtime");
  options.register_options(group);
  runtime_options.register_options(runtime_group);
  CommandParser parser({"smoke", "Runs a short end-to-end check of this build and writes OUT/smoke.json.",
                        "latentlab smoke [options]", "latentlab smoke --out smoke-out --steps 150",
                        "latentlab version"});
  parser.add(group);
  parser.add(runtime_group);
  if (!parser.parse(argc, argv)) return 0;
  if (options.steps < 1) fail_usage("--steps", "must be >= 1, got {}", options.steps);
  if (options.batch_size < 1) fail_usage("--batch-size", "must be >= 1, got {}", options.batch_size);
  if (options.resolution < 8 || options.resolution % 4 != 0)
    fail_usage("--resolution", "must be a multiple of 4 and >= 8, got {}", options.resolution);
  const Runtime runtime = apply_runtime(runtime_options);
  const at::Device device(runtime.device);
  std::filesystem::create_directories(options.out);

  at::Generator gen = at::detail::createCPUGenerator(static_cast<uint64_t>(runtime.seed));
  auto model = make_autoencoder();
  model->to(device);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(options.lr));
  std::vector<double> losses;
  const auto start = std::chrono::steady_clock::now();
  {
    ProgressBar bar("train", options.steps, "step");
    for (int step = 0; step < options.steps; ++step) {
      auto x = blob_images(options.batch_size, options.resolution, gen).to(device);
      auto loss = (model->forward(x) - x).pow(2).mean();
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      losses.push_back(loss.item<double>());
      bar.advance();
    }
  }
  const double train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int window = std::max(1, std::min(10, options.steps / 4));
  double first = 0, last = 0;
  for (int i = 0; i < window; ++i) first += losses[i] / window, last += losses[losses.size() - 1 - i] / window;

  // Save, reload into a fresh model, compare outputs bit for bit.
  const std::string weights_path = options.out + "/smoke-autoencoder.safetensors";
  io::NamedArrays arrays;
  for (const auto& item : model->named_parameters())
    arrays.emplace_back(item.key(), io::to_array(item.value(), item.key()));
  for (const auto& item : model->named_buffers())
    arrays.emplace_back(item.key(), io::to_array(item.value(), item.key()));
  io::write_safetensors(weights_path, arrays, {{"format", "pt"}, {"producer", "latentlab smoke"}});
  auto reloaded = make_autoencoder();
  const auto file = io::load_weights(weights_path);
  {
    at::NoGradGuard no_grad;
    for (auto& [name, array] : file.arrays) {
      auto* target = reloaded->named_parameters().find(name);
      if (!target) fail(weights_path, "unexpected tensor '{}'", name);
      target->copy_(io::to_tensor(array));
    }
  }
  // Compared on the CPU: the check is about the file, and two CUDA forwards need not agree bit for bit
  // (cuDNN may pick other algorithms for the second model).
  model->to(at::kCPU);
  auto probe = blob_images(4, options.resolution, gen);
  at::Tensor a, b;
  {
    at::NoGradGuard no_grad;
    a = model->forward(probe), b = reloaded->forward(probe);
  }
  const bool identical = at::equal(a, b);
  const double gflops = gemm_gflops();
  const bool learned = last < 0.5 * first;

  nlohmann::json results = {{"loss_first", first},
                            {"loss_last", last},
                            {"loss_ratio", last / first},
                            {"train_seconds", train_seconds},
                            {"images_per_second", options.steps * options.batch_size / train_seconds},
                            {"reload_identical", identical},
                            {"gemm_1024_gflops", gflops},
                            {"passed", identical && learned}};
  nlohmann::json protocol = {{"data", "blobs"}, {"model", "conv-autoencoder-f4c4"}, {"seed", runtime.seed}};
  const auto doc = io::make_results({"smoke", runtime.device, runtime.threads, parser.resolved()}, protocol,
                                    {io::describe_input("weights", weights_path)}, results);
  const std::string results_path = options.out + "/smoke.json";
  io::write_results(results_path, doc);

  std::cout << fmt::format(
      "smoke: loss {:.4f} -> {:.4f} in {} steps ({:.0f} img/s), reload {}, GEMM {:.0f} GFLOP/s; wrote {}\n", first,
      last, options.steps, options.steps * options.batch_size / train_seconds, identical ? "identical" : "DIFFERENT",
      gflops, results_path);
  if (!identical) fail(weights_path, "reloaded weights give different outputs");
  if (!learned) fail("smoke", "training did not halve the loss ({:.4f} -> {:.4f})", first, last);
  return 0;
}

}  // namespace latentlab::tools
