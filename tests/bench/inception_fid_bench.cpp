// Throughput of the FID Inception feature extractor (metrics/features/inception_extractor.h) against the same
// network in Python PyTorch (inception_fid_bench.py), measured in the same run on the same random uint8 images
// (64×64, resized to 299) and the same random weights, with the same thread count and batch size. Both use
// pytorch-fid's input path (torch-bilinear) so that the resize costs the same; one warm-up batch of 2 images
// each, then every image timed once. Prints images/s of each side and the ratio ours/peer (> 1: faster), and
// checks that both computed the same pool3 features.
// Run: build/bin/bench_inception_fid [images=64] [threads=all cores] [batch=32] [device=cpu|cuda]
// (on CUDA both sides run fp32 with TF32 off, as FID requires; the features come back to the CPU on both)
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/serialize.h>

#include "core/allocator.h"
#include "core/compat.h"
#include "core/runtime.h"
#include "io/npy.h"
#include "io/tensor_convert.h"
#include "metrics/features/inception_extractor.h"
#include "models/inception_fid.h"
#include "support/test_support.h"

using namespace latentlab;

int main(int argc, char** argv) {
  latentlab::tune_allocator();  // as the latentlab program does (core/allocator.h)
  const int64_t count = argc > 1 ? std::stoll(argv[1]) : 64;
  const int threads = argc > 2 ? std::stoi(argv[2]) : available_cores();
  const int64_t batch = argc > 3 ? std::stoll(argv[3]) : 32;
  const std::string device = argc > 4 ? argv[4] : "cpu";
  at::set_num_threads(threads);

  testing::ScratchDir dir;
  at::manual_seed(0);
  models::InceptionFID model;
  c10::Dict<std::string, at::Tensor> state;
  for (const auto& [name, array] : models::inception_fid_state(model)) state.insert(name, io::to_tensor(array).clone());
  const auto bytes = torch::pickle_save(state);
  std::ofstream(dir.file("w.pth"), std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  const auto images = at::randint(0, 256, {count, 64, 64, 3}, at::kByte);
  io::write_npy(dir.file("images.npy"), io::to_array(images, "images"));

  metrics::FeatureExtractorOptions options;
  options.weights = dir.file("w.pth");
  options.batch_size = batch;
  options.resize = "torch-bilinear";
  options.device = device;
  metrics::InceptionExtractor extractor(options);
  extractor.extract(images.narrow(0, 0, 2));  // warm-up
  const auto start = std::chrono::steady_clock::now();
  const auto features = extractor.extract(images);
  const double ours = count / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const auto peer_run = testing::run_command(std::string(LATENTLAB_REFERENCE_PYTHON) + " " + LATENTLAB_SOURCE_DIR +
                                             "/tests/bench/inception_fid_bench.py " + dir.file("w.pth") + " " +
                                             dir.file("images.npy") + " " + dir.file("pool3.npy") + " " +
                                             std::to_string(threads) + " " + std::to_string(batch) + " " + device);
  const auto found = peer_run.out.find("images_per_second: ");
  if (peer_run.exit_code != 0 || found == std::string::npos) {
    std::fprintf(stderr, "python peer failed:\n%s%s", peer_run.out.c_str(), peer_run.err.c_str());
    return 1;
  }
  const double peer = std::stod(peer_run.out.substr(found + 19));
  const auto peer_pool3 = io::to_tensor(io::read_npy(dir.file("pool3.npy")));
  const double diff = (features.at("pool3") - peer_pool3).abs().max().item<double>();

  std::printf("FID Inception on %s, %lld images 64x64 -> 299 (torch-bilinear), batch %lld, %d threads, LibTorch %s\n",
              device.c_str(), static_cast<long long>(count), static_cast<long long>(batch), threads,
              compat::torch_version().c_str());
  std::printf("  latentlab extractor  %8.2f images/s\n", ours);
  std::printf("  python peer          %8.2f images/s\n", peer);
  std::printf("  ratio ours/peer      %8.3f   (pool3 max |diff| %.3g)\n", ours / peer, diff);
  return diff < 1e-3 ? 0 : 1;
}
